/** Realistic domain objects shared by the report and bot tests (not used at runtime). */
import type { Finding, Hypothesis, Reflection } from '../model/evidence.js';
import type { Incident } from '../model/incident.js';
import type { Execution, RemediationPlan, Verification } from '../model/remediation.js';
import type { MetricSeries } from '../model/telemetry.js';

export const T0 = Date.parse('2026-11-20T09:00:00.000Z');
export const min = (n: number) => T0 + n * 60_000;

export const incident: Incident = {
  id: 'inc-20261120-0907',
  title: 'HighErrorRate on api-gateway | 5xx above 5%',
  severity: 'critical',
  services: ['api-gateway', 'checkout'],
  window: { fromMs: min(-30), toMs: min(10) },
  thread: { channel: 'console', threadId: 'console-1' },
  status: 'resolved',
  signal: {
    kind: 'alert',
    receivedAt: min(7) + 5_000,
    alert: {
      name: 'HighErrorRate',
      severity: 'critical',
      service: 'api-gateway',
      summary: 'api-gateway 5xx ratio 12% <script>alert(1)</script>',
      labels: { alertname: 'HighErrorRate', severity: 'page', service: 'api-gateway' },
      startsAt: min(7),
      source: 'alertmanager',
    },
  },
  createdAt: min(7) + 6_000,
};

export const findings: Finding[] = [
  {
    id: 'f-logs-1',
    expert: 'logs',
    component: 'payment',
    signal: 'tmpl-42',
    anomaly: 'new_template',
    summary: 'New error: "card declined by bank gateway" appears 240×/min',
    evidence: [
      '2026-11-20 09:05:01,123 ERROR [http-nio-8080-exec-7] c.shop.PaymentService - charge failed card=4111 1111 1111 1111 token=sk_live_abc123',
      'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijk | upstream 502',
    ],
    score: 0.91,
    onsetMs: min(5),
    faultHints: ['bad_deploy', 'third_party_timeout'],
  },
  {
    id: 'f-metrics-1',
    expert: 'metrics',
    component: 'payment',
    signal: 'error_rate',
    anomaly: 'level_shift',
    summary: 'error_rate rose from 0.01 to 0.12',
    evidence: ['baseline 0.010, now 0.121 (z=14.2)'],
    score: 0.84,
    onsetMs: min(5),
    direction: 'up',
    faultHints: ['bad_deploy'],
    series: { entity: 'payment', metric: 'error_rate' },
  },
  {
    id: 'f-traces-1',
    expert: 'traces',
    component: 'checkout->payment',
    signal: 'POST /charge',
    anomaly: 'errors',
    summary: 'error spans on checkout->payment: 38%',
    evidence: ['trace 4bf92f3577b34da6a3ce929d0e0e4736: payment POST /charge status=ERROR'],
    score: 0.72,
    onsetMs: min(6),
    faultHints: ['bad_deploy'],
  },
  {
    id: 'f-kpi-1',
    expert: 'kpi',
    component: 'business',
    signal: 'payment_success_rate',
    anomaly: 'kpi_drop',
    summary: 'payment_success_rate fell from 0.98 to 0.71',
    evidence: [],
    score: 0.66,
    onsetMs: min(6),
    direction: 'down',
    faultHints: [],
  },
  {
    id: 'f-cmdb-1',
    expert: 'cmdb',
    component: 'payment',
    signal: 'chg-1042',
    anomaly: 'change',
    summary: 'deploy payment 2.14.0 → 2.15.0 by ci-bot',
    evidence: ['chg-1042 at 09:04:30'],
    score: 0.8,
    onsetMs: min(4.5),
    faultHints: ['bad_deploy'],
  },
];

export const hypotheses: Hypothesis[] = [
  {
    id: 'h-1',
    component: 'payment',
    kind: 'bad_deploy',
    score: 2.41,
    confidence: 0.82,
    onsetMs: min(4.5),
    evidence: ['deploy chg-1042 90s before the first error', 'new log template tmpl-42 after the deploy'],
    findingIds: ['f-logs-1', 'f-metrics-1', 'f-cmdb-1'],
    explains: ['api-gateway', 'checkout'],
  },
  {
    id: 'h-2',
    component: 'bank-gateway',
    kind: 'third_party_timeout',
    score: 0.93,
    confidence: 0.31,
    onsetMs: min(5),
    evidence: ['client spans to bank-gateway slower'],
    findingIds: ['f-traces-1'],
    explains: ['checkout'],
  },
];

export const reflection: Reflection = {
  verdict: 'confirmed',
  examined: 'h-1',
  checks: [
    { name: 'explains_symptoms', passed: true, detail: 'explains api-gateway, checkout' },
    { name: 'precedes_symptoms', passed: true, detail: 'deploy at 09:04:30, first symptom 09:05:00' },
    { name: 'no_counter_evidence', passed: false, detail: 'bank-gateway latency also rose | minor' },
    { name: 'kind_supported', passed: true, detail: '3 findings hint bad_deploy' },
  ],
  notes: ['Counter-evidence is weak (score 0.31).'],
};

export const plan: RemediationPlan = {
  id: 'plan-1',
  incidentId: incident.id,
  hypothesisId: 'h-1',
  title: 'Roll back payment to 2.14.0',
  steps: [
    {
      id: 's1',
      action: 'rollback_deploy',
      target: 'payment',
      params: { to: '2.14.0' },
      description: 'Roll back the payment deploy chg-1042',
      risk: 'medium',
      preChecks: [{ kind: 'component_exists', component: 'payment' }, { kind: 'dry_run' }],
      verification: [{ entity: 'payment', metric: 'error_rate', recoverWithinMinutes: 10 }],
      rollback: 'redeploy 2.15.0',
    },
  ],
  risk: 'medium',
  approvers: ['team-payments', 'sre-oncall'],
  verification: [{ entity: 'payment', metric: 'error_rate', recoverWithinMinutes: 10 }],
  runbook: 'https://runbooks.example/payment/rollback',
  createdAt: min(9),
  hash: '3f7a9c0e1d2b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5',
};

export const execution: Execution = {
  planId: 'plan-1',
  actor: 'alice',
  startedAt: min(11),
  finishedAt: min(12),
  status: 'succeeded',
  steps: [{ stepId: 's1', status: 'succeeded', output: 'payment rolled back to 2.14.0 (password=hunter2)' }],
};

export const verification: Verification = {
  planId: 'plan-1',
  checkedAt: min(22),
  recovered: true,
  checks: [{ entity: 'payment', metric: 'error_rate', baseline: 0.01, during: 0.121, after: 0.011, recovered: true }],
};

export function series(entity: string, metric: string, f: (i: number) => number, from = -30, to = 25): MetricSeries {
  const points = [];
  for (let i = from; i <= to; i++) points.push({ ts: min(i), value: f(i) });
  return { entity, metric, points };
}
