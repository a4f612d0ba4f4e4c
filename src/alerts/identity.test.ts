import { describe, expect, it } from 'vitest';
import { parseAlert } from './index.js';
import { alertIdentity } from './identity.js';

const first = (text: string, now: number) => {
  const r = parseAlert(text, { now: () => now });
  if (!r.ok) throw new Error(r.error);
  return r.alerts[0]!;
};
const T = Date.UTC(2026, 10, 20, 9, 0);

describe('alertIdentity', () => {
  const am = (fingerprint: string, startsAt: string, summary = 'error rate 12%') =>
    JSON.stringify({ version: '4', status: 'firing', alerts: [{ status: 'firing', labels: { alertname: 'HighErrorRate', service: 'payment-service' }, annotations: { summary }, startsAt, fingerprint }] });

  it('keys Alertmanager alerts by fingerprint and firing episode, not by their changing text', () => {
    const a = alertIdentity(first(am('3f1c', '2026-11-20T09:00:00Z'), T));
    expect(alertIdentity(first(am('3f1c', '2026-11-20T09:00:00Z', 'error rate 19%'), T + 60_000))).toEqual(a);
    expect(alertIdentity(first(am('3f1c', '2026-11-20T11:00:00Z'), T)).key).not.toBe(a.key); // a new episode
    expect(alertIdentity(first(am('9999', '2026-11-20T09:00:00Z'), T)).key).not.toBe(a.key); // another label set
    expect(a.windowMs).toBeNull();
  });

  it('keys plain-text alerts by their normalised text, whenever they were parsed, within a window', () => {
    const text = 'CRITICAL: payment-service error rate 12% (threshold 5%)';
    const a = alertIdentity(first(text, T));
    const b = alertIdentity(first(text, T + 5 * 60_000));
    expect(b.key).toBe(a.key);
    expect(alertIdentity(first('CRITICAL:  payment-service error rate 14.5% (threshold 5%)', T)).key).toBe(a.key);
    expect(alertIdentity(first('CRITICAL: checkout-service error rate 12% (threshold 5%)', T)).key).not.toBe(a.key);
    expect(a.windowMs).toBeGreaterThan(0);
  });

  it('keys JSON alerts with a start time by name, subject and start', () => {
    const a = alertIdentity(first('{"alertname":"CacheDown","service":"redis-cache","startsAt":"2026-11-20T09:00:00Z"}', T));
    expect(alertIdentity(first('{"alertname":"CacheDown","service":"redis-cache","startsAt":"2026-11-20T09:00:00Z","summary":"other words"}', T + 1)).key).toBe(a.key);
    expect(alertIdentity(first('{"alertname":"CacheDown","service":"redis-cache","startsAt":"2026-11-20T09:30:00Z"}', T)).key).not.toBe(a.key);
  });
});
