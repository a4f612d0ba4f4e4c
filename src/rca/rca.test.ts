import { describe, expect, it } from 'vitest';
import type { Finding, Hypothesis } from '../model/evidence.js';
import type { Cmdb } from '../model/telemetry.js';
import { buildGraph } from './graph.js';
import { rankHypotheses } from './rank.js';
import { reflect } from './reflect.js';

const svc = (name: string, dependsOn: string[], kind: Cmdb['services'][number]['kind'] = 'service') => ({
  name,
  kind,
  tier: 1,
  owner: 'team',
  hosts: [`host-${name}`],
  dependsOn,
});
// gateway -> web -> order -> payment -> bank ; order -> db ; web -> catalog -> db ; catalog -> cache
const cmdb: Cmdb = {
  services: [
    svc('gateway', ['web'], 'gateway'),
    svc('web', ['order', 'catalog']),
    svc('order', ['payment', 'db']),
    svc('payment', ['bank', 'db']),
    svc('catalog', ['db', 'cache']),
    svc('db', [], 'database'),
    svc('cache', [], 'cache'),
    { ...svc('bank', [], 'external'), hosts: [] },
    svc('notification', []),
  ],
  hosts: [],
  changes: [],
};
const graph = buildGraph(cmdb);
const T = Date.UTC(2026, 10, 20, 9, 0);
const min = 60_000;
let n = 0;
const finding = (component: string, score: number, onsetMin: number, extra: Partial<Finding> = {}): Finding => ({
  id: `f${n++}`,
  expert: 'traces',
  component,
  signal: 'error_rate',
  anomaly: 'errors',
  summary: `${component} anomalous`,
  evidence: [],
  score,
  onsetMs: T + onsetMin * min,
  faultHints: [],
  ...extra,
});

describe('rankHypotheses', () => {
  it('puts a root cause two hops below the alerting service first, even when the gateway is louder', () => {
    const findings = [
      finding('gateway', 0.95, 1),
      finding('web', 0.9, 1),
      finding('order', 0.8, 0),
      finding('payment', 0.7, 0, { expert: 'logs', anomaly: 'new_template', faultHints: ['bad_deploy'] }),
      finding('payment', 0.4, -1, { expert: 'cmdb', anomaly: 'change', faultHints: ['bad_deploy'] }),
    ];
    const ranked = rankHypotheses({ findings, graph, alerted: ['gateway'] });
    expect(ranked[0]).toMatchObject({ component: 'payment', kind: 'bad_deploy' });
    expect(ranked.map((h) => h.component).slice(1)).toContain('gateway');
    expect(ranked[0]!.explains).toEqual(expect.arrayContaining(['gateway', 'web', 'order', 'payment']));
  });

  it('blames a link, not either end, when only the calls between them are slow', () => {
    const findings = [
      finding('gateway', 0.8, 1, { anomaly: 'latency' }),
      finding('web', 0.8, 1, { anomaly: 'latency' }),
      finding('order', 0.8, 0, { anomaly: 'latency' }),
      finding('order->payment', 0.9, 0, { anomaly: 'edge_latency', faultHints: ['network_latency'] }),
    ];
    const ranked = rankHypotheses({ findings, graph, alerted: ['gateway'] });
    expect(ranked[0]).toMatchObject({ component: 'order->payment', kind: 'network_latency' });
  });

  it('prefers the dependency all of whose callers suffer over one that only some callers see', () => {
    // The cache fails; catalog falls back to the database, which gets busier a little later.
    const findings = [
      finding('web', 0.7, 1, { anomaly: 'latency' }),
      finding('catalog', 0.8, 0, { anomaly: 'latency' }),
      finding('cache', 0.95, 0, { faultHints: ['cache_outage'] }),
      finding('db', 0.6, 3, { expert: 'metrics', anomaly: 'level_shift', faultHints: ['db_connection_exhaustion'] }),
    ];
    const ranked = rankHypotheses({ findings, graph, alerted: ['web'] });
    expect(ranked[0]).toMatchObject({ component: 'cache', kind: 'cache_outage' });
    expect(ranked.findIndex((h) => h.component === 'db')).toBeGreaterThan(0);
  });

  it('explains a busy database by the failed cache in front of it, even when the database looks as sick', () => {
    const findings = [
      finding('web', 0.8, 1, { anomaly: 'latency' }),
      finding('catalog', 0.9, 0, { anomaly: 'latency' }),
      finding('order', 0.6, 1, { anomaly: 'latency' }),
      finding('cache', 0.95, 0, { faultHints: ['cache_outage'] }),
      finding('db', 0.97, 0, { expert: 'metrics', anomaly: 'saturation', faultHints: ['db_connection_exhaustion'] }),
    ];
    const ranked = rankHypotheses({ findings, graph, alerted: ['web'] });
    expect(ranked[0]).toMatchObject({ component: 'cache', kind: 'cache_outage' });
    expect(graph.shadowedBy('db')).toEqual(['cache']);
    expect(graph.shadowedBy('cache')).toEqual([]);
  });

  it('returns nothing to rank when nothing is anomalous', () => {
    expect(rankHypotheses({ findings: [finding('web', 0.05, 0)], graph, alerted: ['web'] })).toEqual([]);
  });
});

describe('reflect', () => {
  const findings = [
    finding('gateway', 0.9, 1),
    finding('web', 0.9, 1),
    finding('order', 0.8, 0),
    finding('payment', 0.8, 0, { faultHints: ['bad_deploy'] }),
    finding('notification', 0.99, -5, { faultHints: ['cpu_saturation'] }),
  ];
  const h = (component: string, kind: Hypothesis['kind'], onsetMin: number, explains: string[]): Hypothesis => ({
    id: `h-${component}`,
    component,
    kind,
    score: 0.5,
    confidence: 0.5,
    onsetMs: T + onsetMin * min,
    evidence: [],
    findingIds: [],
    explains,
  });

  it('demotes a loud top hypothesis that cannot explain the alert and promotes the next that can', () => {
    const wrongFirst = [h('notification', 'cpu_saturation', -5, ['notification']), h('payment', 'bad_deploy', 0, ['gateway', 'web', 'order', 'payment'])];
    const { ranked, reflection } = reflect({ ranked: wrongFirst, findings, graph, alerted: ['gateway'] });
    expect(reflection.verdict).toBe('demoted');
    expect(reflection.examined).toBe('h-notification');
    expect(ranked.map((x) => x.component)).toEqual(['payment', 'notification']);
    expect(ranked[1]!.confidence).toBeLessThan(0.5);
    expect(reflection.notes.join(' ')).toMatch(/demoted notification/);
  });

  it('demotes a victim whose dependency went bad first', () => {
    const victimFirst = [h('order', 'bad_deploy', 1, ['gateway', 'web', 'order']), h('payment', 'bad_deploy', 0, ['gateway', 'web', 'order', 'payment'])];
    const late = findings.map((f) => (f.component === 'order' ? { ...f, onsetMs: T + 1 * min } : f));
    const { ranked, reflection } = reflect({ ranked: victimFirst, findings: late, graph, alerted: ['gateway'] });
    expect(ranked[0]!.component).toBe('payment');
    expect(reflection.notes[0]).toMatch(/payment .* went bad first/);
  });

  it('keeps the ranking, marked uncertain, when the only alternative is much weaker', () => {
    const weakAlternative = [h('notification', 'cpu_saturation', -5, ['notification']), { ...h('payment', 'bad_deploy', 0, ['gateway', 'web', 'order', 'payment']), score: 0.1 }];
    const { ranked, reflection } = reflect({ ranked: weakAlternative, findings, graph, alerted: ['gateway'] });
    expect(reflection.verdict).toBe('uncertain');
    expect(ranked.map((x) => x.component)).toEqual(['notification', 'payment']);
    expect(reflection.checks.find((c) => c.name === 'explains_symptoms')?.passed).toBe(false);
  });

  it('confirms a hypothesis that passes every check', () => {
    const right = [h('payment', 'bad_deploy', 0, ['gateway', 'web', 'order', 'payment'])];
    const { ranked, reflection } = reflect({ ranked: right, findings, graph, alerted: ['gateway'] });
    expect(reflection.verdict).toBe('confirmed');
    expect(reflection.checks.every((c) => c.passed)).toBe(true);
    expect(ranked).toEqual(right);
  });
});

describe("the copilot's own remediations", () => {
  // Ten minutes in, the copilot restarted the cache and rolled payment back; each rollout restarted the service.
  const remediation = (component: string, onsetMin: number, summary: string): Finding =>
    finding(component, 0.15, onsetMin, { expert: 'cmdb', anomaly: 'change', signal: `chg-${component}`, summary, origin: 'remediation' });
  const afterFixes = () => [
    finding('gateway', 0.5, 11),
    finding('web', 0.45, 11),
    finding('order', 0.4, 11),
    finding('payment', 0.35, 11),
    remediation('payment', 10, 'sre-copilot rolled back payment 2.0.1 → 2.0.0 at 09:10'),
    finding('payment', 0.3, 10, { expert: 'metrics', anomaly: 'restart', signal: 'restarts', summary: 'payment restarted at 09:10 with deploy chg-payment', faultHints: ['bad_deploy'] }),
    remediation('cache', 10, 'sre-copilot acted on cache at 09:10: Restarted cache'),
    finding('cache', 0.7, 10, { expert: 'metrics', anomaly: 'restart', signal: 'restarts', summary: 'cache restarted 1 time from 09:10', faultHints: ['memory_leak'] }),
  ];

  it('never ranks a remediation, or the restart it caused, as evidence of a fault', () => {
    const findings = afterFixes();
    const ranked = rankHypotheses({ findings, graph, alerted: ['gateway'] });
    const ownIds = new Set(findings.filter((f) => f.origin === 'remediation' || f.anomaly === 'restart').map((f) => f.id));
    expect(ranked.map((h) => h.component)).not.toContain('cache');
    for (const h of ranked) expect(h.findingIds.filter((id) => ownIds.has(id))).toEqual([]);
    const payment = ranked.find((h) => h.component === 'payment')!;
    expect(payment.evidence.join(' ')).not.toMatch(/rolled back|restarted/);
    const { reflection } = reflect({ ranked: [payment], findings, graph, alerted: ['gateway'] });
    expect(reflection.checks.find((c) => c.name === 'kind_supported')).toMatchObject({ passed: false });
  });

  it('would suspect the same restarts if nobody had marked them as remediations', () => {
    const findings = afterFixes().map(({ origin: _origin, ...f }) => f);
    const ranked = rankHypotheses({ findings, graph, alerted: ['gateway'] });
    expect(ranked.find((h) => h.component === 'cache')?.kind).toBe('memory_leak');
    const payment = ranked.find((h) => h.component === 'payment')!;
    expect(payment.evidence.join(' ')).toMatch(/rolled back/);
  });
});
