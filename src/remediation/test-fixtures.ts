import type { Hypothesis } from '../model/evidence.js';
import type { Incident } from '../model/incident.js';
import type { Cmdb } from '../model/telemetry.js';

/** A small shop for remediation tests: a gateway in front of a payment service that was just deployed. */
export const T = Date.UTC(2026, 10, 20, 9, 0);
export const incident: Incident = {
  id: 'inc-1',
  title: 'HighErrorRate api-gateway',
  severity: 'critical',
  services: ['api-gateway'],
  window: { fromMs: T - 3_600_000, toMs: T },
  thread: { channel: 'console', threadId: 't1' },
  status: 'diagnosed',
  signal: { kind: 'question', text: 'why?', user: 'alice', receivedAt: T },
  createdAt: T,
};
export const cmdb: Cmdb = {
  services: [
    { name: 'api-gateway', kind: 'gateway' as const, tier: 0, owner: 'edge', hosts: ['h1'], dependsOn: ['payment-service'] },
    { name: 'payment-service', kind: 'service' as const, tier: 0, owner: 'payments', hosts: ['h2'], dependsOn: [], version: '2.4.0', runbook: 'rb-payment' },
  ],
  hosts: [],
  changes: [
    { id: 'chg-7', ts: T - 20 * 60_000, kind: 'deploy' as const, target: 'payment-service', description: 'deploy', from: '2.3.9', to: '2.4.0', author: 'ci' },
  ],
};
export const hypothesis: Hypothesis = {
  id: 'h-payment',
  component: 'payment-service',
  kind: 'bad_deploy',
  score: 0.8,
  confidence: 0.8,
  onsetMs: T - 18 * 60_000,
  evidence: [],
  findingIds: [],
  explains: ['api-gateway', 'payment-service'],
};
