import { describe, expect, it } from 'vitest';
import { parseAlertmanager, readAlertGroup } from './alertmanager.js';
import { AlertParseError } from './common.js';

const alert = (status: string, fingerprint: string, extra: Record<string, unknown> = {}) => ({
  status,
  labels: { alertname: 'HighErrorRate', service: 'payment-service', severity: 'critical' },
  annotations: { summary: 'payment-service 5xx above 5%' },
  startsAt: '2026-11-20T13:10:00Z',
  fingerprint,
  ...extra,
});
const webhook = (status: string, alerts: unknown[]) => ({ version: '4', groupKey: '{}:{alertname="HighErrorRate"}', status, receiver: 'sre-copilot', alerts });

describe('readAlertGroup (Alertmanager notifications as groups)', () => {
  it('keeps the group key and both the firing and the resolved alerts', () => {
    const group = readAlertGroup(webhook('firing', [alert('firing', 'a1'), alert('resolved', 'b2')]), 'alertmanager');
    expect(group).toMatchObject({ groupKey: '{}:{alertname="HighErrorRate"}', status: 'firing' });
    expect(group.firing.map((a) => a.fingerprint)).toEqual(['a1']);
    expect(group.resolved.map((a) => a.fingerprint)).toEqual(['b2']);
  });

  it('reads a notification whose alerts are all resolved as a resolved group', () => {
    const group = readAlertGroup({ ...webhook('firing', [alert('resolved', 'a1')]), groupKey: undefined }, 'alertmanager');
    expect(group).toMatchObject({ groupKey: null, status: 'resolved', firing: [] });
    expect(group.resolved[0]).toMatchObject({ name: 'HighErrorRate', service: 'payment-service', source: 'alertmanager' });
  });

  it('says what is wrong with a resolved alert it cannot read', () => {
    expect(() => readAlertGroup(webhook('resolved', [{ status: 'resolved', startsAt: '2026-11-20T13:10:00Z' }]), 'alertmanager')).toThrow(new AlertParseError('alerts[0] has no "labels"'));
  });

  it('leaves parseAlertmanager as it was: resolved alerts are skipped unread, and only-resolved is an error', () => {
    expect(parseAlertmanager(webhook('firing', [alert('firing', 'a1'), { status: 'resolved' }])).map((a) => a.fingerprint)).toEqual(['a1']);
    expect(() => parseAlertmanager(webhook('resolved', [alert('resolved', 'a1')]))).toThrow(/only resolved alerts \(1\)/);
  });
});
