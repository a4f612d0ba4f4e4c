import { describe, expect, it } from 'vitest';
import { AlertSchema } from '../model/incident.js';
import { mapSeverity, parseAlert } from './index.js';

const NOW = Date.parse('2026-11-20T09:10:00.000Z');
const opts = { now: () => NOW };

const alertmanagerPayload = {
  receiver: 'sre-copilot',
  status: 'firing',
  alerts: [
    {
      status: 'firing',
      labels: {
        alertname: 'HighErrorRate',
        service: 'api-gateway',
        severity: 'page',
        instance: 'gw-1:9090',
        job: 'gateway',
      },
      annotations: {
        summary: 'api-gateway 5xx ratio above 5% for 5 minutes',
        description: 'error_rate is 0.12',
        runbook_url: 'https://runbooks.example/high-error-rate',
      },
      startsAt: '2026-11-20T09:04:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph?g0.expr=…',
      fingerprint: 'a1b2c3d4e5f60718',
    },
    {
      status: 'firing',
      labels: { alertname: 'HighLatency', job: 'checkout', severity: 'warning' },
      annotations: { description: 'p95 above 800ms' },
      startsAt: '2026-11-20T09:05:30.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
      fingerprint: 'ffee',
    },
    {
      status: 'resolved',
      labels: { alertname: 'DiskSpaceLow', service: 'orders-db', severity: 'warning' },
      annotations: {},
      startsAt: '2026-11-20T08:00:00.000Z',
      endsAt: '2026-11-20T08:30:00.000Z',
    },
  ],
  groupLabels: { alertname: 'HighErrorRate' },
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://alertmanager:9093',
  version: '4',
  groupKey: '{}:{alertname="HighErrorRate"}',
  truncatedAlerts: 0,
};

const grafanaPayload = {
  receiver: 'copilot-webhook',
  status: 'firing',
  orgId: 1,
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'Payment success rate low', grafana_folder: 'Business', app: 'payment', severity: 'critical' },
      annotations: {},
      startsAt: '2026-11-20T09:06:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'https://grafana.example/alerting/grafana/abc/view',
      fingerprint: '3f1c',
      silenceURL: 'https://grafana.example/alerting/silence/new',
      dashboardURL: 'https://grafana.example/d/xyz',
      panelURL: 'https://grafana.example/d/xyz?viewPanel=2',
      values: { A: 0.71, B: 1 },
      valueString: "[ var='A' labels={app=payment} value=0.71 ]",
    },
  ],
  groupLabels: { alertname: 'Payment success rate low' },
  commonLabels: { alertname: 'Payment success rate low', grafana_folder: 'Business' },
  commonAnnotations: {},
  externalURL: 'https://grafana.example/',
  version: '1',
  groupKey: '{}:{alertname="Payment success rate low"}',
  truncatedAlerts: 0,
  title: '[FIRING:1] Payment success rate low Business (payment critical)',
  state: 'alerting',
  message: '**Firing** …',
};

describe('parseAlert: Alertmanager', () => {
  it('parses firing alerts, maps severity and service, drops resolved ones', () => {
    const r = parseAlert(JSON.stringify(alertmanagerPayload), opts);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.alerts).toHaveLength(2);
    const [a, b] = r.alerts;
    expect(a).toMatchObject({
      name: 'HighErrorRate',
      severity: 'critical',
      service: 'api-gateway',
      summary: 'api-gateway 5xx ratio above 5% for 5 minutes',
      startsAt: Date.parse('2026-11-20T09:04:00.000Z'),
      source: 'alertmanager',
    });
    expect(a!.labels['instance']).toBe('gw-1:9090');
    expect(b).toMatchObject({ name: 'HighLatency', severity: 'warning', service: 'checkout', summary: 'p95 above 800ms' });
    for (const alert of r.alerts) expect(AlertSchema.safeParse(alert).success).toBe(true);
  });

  it('accepts a bare list of alerts (API v2)', () => {
    const r = parseAlert(JSON.stringify([alertmanagerPayload.alerts[0]]), opts);
    expect(r.ok && r.alerts[0]?.name).toBe('HighErrorRate');
  });

  it('reports payloads that only resolve', () => {
    const r = parseAlert(JSON.stringify({ ...alertmanagerPayload, alerts: [alertmanagerPayload.alerts[2]] }), opts);
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/only resolved/) });
  });

  it('gives clear errors for missing or mistyped fields', () => {
    const cases: [unknown, RegExp][] = [
      [{ version: '4', status: 'firing' }, /no "alerts" list/],
      [{ version: '4', alerts: [] }, /empty "alerts" list/],
      [{ version: '4', alerts: 'HighErrorRate' }, /"alerts" must be a list, got a string/],
      [{ version: '4', alerts: [42] }, /alerts\[0\] must be an object, got a number/],
      [{ version: '4', alerts: [{ labels: ['a'], startsAt: '2026-11-20T09:00:00Z' }] }, /alerts\[0\]\.labels must be an object/],
      [{ version: '4', alerts: [{ labels: { severity: 'page' }, startsAt: '2026-11-20T09:00:00Z' }] }, /no "alertname"/],
      [{ version: '4', alerts: [{ labels: { alertname: 'X', team: { a: 1 } }, startsAt: 'x' }] }, /labels\.team must be a string/],
      [{ version: '4', alerts: [{ labels: { alertname: 'X' } }] }, /no "startsAt"/],
      [{ version: '4', alerts: [{ labels: { alertname: 'X' }, startsAt: 'yesterday' }] }, /startsAt is not a valid timestamp/],
      [{ version: '4', alerts: [{ labels: { alertname: 'X' }, startsAt: '2026-11-20T09:00:00Z', status: 3 }] }, /status must be a string/],
    ];
    for (const [payload, re] of cases) {
      const r = parseAlert(JSON.stringify(payload), opts);
      expect(r.ok, JSON.stringify(payload)).toBe(false);
      if (!r.ok) expect(r.error).toMatch(re);
    }
  });
});

describe('parseAlert: Grafana', () => {
  it('parses a unified alerting webhook', () => {
    const r = parseAlert(JSON.stringify(grafanaPayload), opts);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.alerts).toEqual([
      expect.objectContaining({
        name: 'Payment success rate low',
        severity: 'critical',
        service: 'payment',
        source: 'grafana',
        startsAt: Date.parse('2026-11-20T09:06:00Z'),
        summary: expect.stringContaining('value=0.71'),
      }),
    ]);
    expect(r.alerts[0]!.labels['grafana_folder']).toBe('Business');
  });

  it('prefers the summary annotation', () => {
    const alert = { ...grafanaPayload.alerts[0], annotations: { summary: 'Payment success below 80%' } };
    const r = parseAlert(JSON.stringify({ ...grafanaPayload, alerts: [alert] }), opts);
    expect(r.ok && r.alerts[0]?.summary).toBe('Payment success below 80%');
  });
});

describe('parseAlert: minimal JSON', () => {
  it('parses name/alertname, severity, service, summary', () => {
    const r = parseAlert('{"name":"OrdersDrop","severity":"high","service":"checkout","summary":"orders/min down 40%"}', opts);
    expect(r).toEqual({
      ok: true,
      alerts: [
        {
          name: 'OrdersDrop',
          severity: 'high',
          service: 'checkout',
          summary: 'orders/min down 40%',
          labels: { alertname: 'OrdersDrop', severity: 'high', service: 'checkout' },
          startsAt: NOW,
          // no start time in the payload: the parse time stands in, and identity must not rely on it
          startsAtKnown: false,
          source: 'json',
        },
      ],
    });
    const r2 = parseAlert('{"alertname":"CacheDown","startsAt":"2026-11-20T09:00:00Z"}', opts);
    expect(r2.ok && r2.alerts[0]).toMatchObject({ name: 'CacheDown', severity: 'info', summary: 'CacheDown' });
    expect(r2.ok && r2.alerts[0]!.startsAtKnown).toBeUndefined();
  });

  it('rejects wrong types and unknown shapes', () => {
    const wrong = parseAlert('{"name":"X","severity":2}', opts);
    expect(wrong).toEqual({ ok: false, error: 'alert.severity must be a string, got a number' });
    const unknown = parseAlert('{"foo":"bar"}', opts);
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.error).toMatch(/not an Alertmanager, Grafana, PagerDuty, Datadog, Zabbix or minimal alert/);
    const scalar = parseAlert('[]', opts);
    expect(scalar).toEqual({ ok: false, error: 'alert list is empty' });
  });
});

describe('parseAlert: plain text', () => {
  it('parses an Alertmanager-style firing line', () => {
    const r = parseAlert('[FIRING] HighErrorRate api-gateway: 5xx above 5%', opts);
    expect(r.ok && r.alerts[0]).toMatchObject({
      name: 'HighErrorRate',
      service: 'api-gateway',
      severity: 'warning',
      summary: 'HighErrorRate api-gateway: 5xx above 5%',
      startsAt: NOW,
      source: 'plain-text',
    });
  });

  it('parses a severity-prefixed line and names the symptom', () => {
    const r = parseAlert('CRITICAL: payment-service error rate 12%', opts);
    expect(r.ok && r.alerts[0]).toMatchObject({ name: 'HighErrorRate', severity: 'critical', service: 'payment-service' });
  });

  it('handles counts, severities in parentheses, key=value and known services', () => {
    const a = parseAlert('[FIRING:2] KubePodCrashLooping (checkout critical)', { ...opts, knownServices: ['checkout', 'cart'] });
    expect(a.ok && a.alerts[0]).toMatchObject({ name: 'KubePodCrashLooping', severity: 'critical', service: 'checkout' });
    const b = parseAlert('ALERT: latency on cart above 2s severity=high', { ...opts, knownServices: ['checkout', 'cart'] });
    expect(b.ok && b.alerts[0]).toMatchObject({ name: 'HighLatency', severity: 'high', service: 'cart' });
    const c = parseAlert('alertname=TargetDown service=inventory', opts);
    expect(c.ok && c.alerts[0]).toMatchObject({ name: 'TargetDown', service: 'inventory' });
    const e = parseAlert('ALERT: checkout error rate 12%', opts);
    expect(e.ok && e.alerts[0]).toMatchObject({ name: 'HighErrorRate', severity: 'warning' });
    const f = parseAlert('[FIRING] orders-db pool exhausted, now CRITICAL', opts);
    expect(f.ok && f.alerts[0]).toMatchObject({ name: 'ConnectionPoolExhausted', severity: 'critical', service: 'orders-db' });
    const d = parseAlert('P1 - orders down', opts);
    expect(d.ok && d.alerts[0]).toMatchObject({ severity: 'critical' });
    expect(d.ok && d.alerts[0]?.service).toBeUndefined();
  });

  it('rejects text that is not an alert', () => {
    for (const t of ['why is checkout failing?', 'hello there', 'the 5xx rate looks fine', '[RESOLVED] HighErrorRate api-gateway']) {
      const r = parseAlert(t, opts);
      expect(r.ok, t).toBe(false);
    }
  });
});

describe('parseAlert: malformed input', () => {
  it('reports the position of a JSON syntax error', () => {
    const r = parseAlert('{"version":"4","alerts":[{"labels":{"alertname":"X",}}]}', opts);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^alert JSON is malformed at position 52 \(line 1, column 53\)/);
    const truncated = parseAlert('{"version":"4","alerts":[', opts);
    expect(!truncated.ok && truncated.error).toMatch(/^alert JSON is malformed at position 25/);
  });

  it('reports empty input and never throws', () => {
    expect(parseAlert('', opts)).toEqual({ ok: false, error: 'alert input is empty' });
    expect(parseAlert('   \n ', opts)).toEqual({ ok: false, error: 'alert input is empty' });
    expect(parseAlert(null as unknown as string).ok).toBe(false);
    expect(parseAlert('null').ok).toBe(false);
    expect(parseAlert('"text"').ok).toBe(false);
  });
});

describe('mapSeverity', () => {
  it('maps label values', () => {
    expect(['critical', 'page', 'error', 'high', 'warning', 'none', ''].map(mapSeverity)).toEqual([
      'critical',
      'critical',
      'high',
      'high',
      'warning',
      'info',
      'info',
    ]);
  });
});
