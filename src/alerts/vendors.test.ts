import { describe, expect, it } from 'vitest';
import { parseAlert } from './index.js';

const now = () => Date.UTC(2026, 10, 20, 9, 30);

describe('vendor webhooks, recognised by structure', () => {
  it('reads a Datadog monitor webhook, with priority, service tag and the title prefix removed', () => {
    const payload = {
      id: '123', event_type: 'query_alert_monitor', title: '[Triggered on {service:payment-service}] High error rate on payments',
      alert_transition: 'Triggered', alert_type: 'error', priority: 'P1', tags: 'service:payment-service,env:prod',
      hostname: 'app-b1', date: 1795165200000, body: 'error rate 12% over 5m', org: { id: '1', name: 'shop' },
    };
    const r = parseAlert(JSON.stringify(payload), { now });
    expect(r).toMatchObject({ ok: true, alerts: [{ name: 'High error rate on payments', severity: 'critical', service: 'payment-service', source: 'datadog', startsAt: 1795165200000, summary: 'error rate 12% over 5m' }] });
    expect(parseAlert(JSON.stringify({ ...payload, alert_transition: 'Recovered', alert_type: 'success' }))).toEqual({ ok: false, error: expect.stringMatching(/recovery/) });
    expect(parseAlert(JSON.stringify({ ...payload, tags: 42 }))).toEqual({ ok: false, error: expect.stringMatching(/datadog.tags must be/) });
  });

  it('reads a PagerDuty v3 incident webhook and ignores resolutions', () => {
    const payload = {
      event: {
        id: 'E1', event_type: 'incident.triggered', resource_type: 'incident', occurred_at: '2026-11-20T09:20:00Z',
        data: { id: 'P1', type: 'incident', title: 'Checkout latency high', status: 'triggered', urgency: 'high', service: { summary: 'web-frontend' } },
      },
    };
    const r = parseAlert(JSON.stringify(payload));
    expect(r).toMatchObject({ ok: true, alerts: [{ name: 'Checkout latency high', severity: 'high', service: 'web-frontend', source: 'pagerduty', startsAt: Date.UTC(2026, 10, 20, 9, 20) }] });
    const resolved = { event: { ...payload.event, event_type: 'incident.resolved' } };
    expect(parseAlert(JSON.stringify(resolved))).toEqual({ ok: false, error: expect.stringMatching(/resolution/) });
  });

  it('reads a Zabbix webhook with its severity names, date macros and tags', () => {
    const payload = {
      event_id: '991', event_name: 'Disk space is critically low on /var', host: 'app-c1', event_severity: 'Disaster',
      event_status: 'PROBLEM', event_date: '2026.11.20', event_time: '09:12:00', event_tags: 'service:shipping-service,team:logistics',
    };
    const r = parseAlert(JSON.stringify(payload));
    expect(r).toMatchObject({ ok: true, alerts: [{ name: 'Disk space is critically low on /var', severity: 'critical', service: 'shipping-service', source: 'zabbix', startsAt: Date.UTC(2026, 10, 20, 9, 12), labels: { host: 'app-c1', team: 'logistics' } }] });
    expect(parseAlert(JSON.stringify({ ...payload, event_severity: 'Average' }))).toMatchObject({ ok: true, alerts: [{ severity: 'warning' }] });
    expect(parseAlert(JSON.stringify({ ...payload, event_status: 'RESOLVED' }))).toEqual({ ok: false, error: expect.stringMatching(/recovery/) });
  });
});
