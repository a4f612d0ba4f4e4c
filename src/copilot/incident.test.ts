import { describe, expect, it } from 'vitest';
import type { Alert } from '../model/incident.js';
import { mentionedServices, openIncident } from './incident.js';

const known = ['api-gateway', 'web-frontend', 'payment-service', 'redis-cache'];
const T = Date.UTC(2026, 10, 20, 9, 0);
const alert = (over: Partial<Alert>): Alert => ({
  name: 'PaymentSuccessRateLow',
  severity: 'critical',
  summary: 'payment success rate is 50.4%',
  labels: {},
  startsAt: T,
  source: 'alertmanager',
  ...over,
});
const thread = { channel: 'console', threadId: 't1' };

describe('openIncident', () => {
  it('takes the subject from the alert labels, not from words in its text', () => {
    const incident = openIncident({ kind: 'alert', alert: alert({ service: 'business', labels: { service: 'business' } }), receivedAt: T }, thread, known);
    expect(incident.services).toEqual(['business']);
    expect(incident.id).toMatch(/^INC-202611200900-[0-9a-f]{8}$/);
    expect(incident.window).toEqual({ fromMs: T - 30 * 60_000, toMs: T });
  });

  it('falls back to services named in the text when no label names one', () => {
    const incident = openIncident({ kind: 'alert', alert: alert({ name: 'Errors', summary: 'web-frontend 5xx above 5%' }), receivedAt: T }, thread, known);
    expect(incident.services).toEqual(['web-frontend']);
  });

  it('recognises short service names as whole words only', () => {
    expect(mentionedServices('why is payment failing? redis looks fine', known)).toEqual(['payment-service', 'redis-cache']);
    // too short to trust as a name on its own
    expect(mentionedServices('the web tier is slow', known)).toEqual([]);
    expect(mentionedServices('webhooks are slow', known)).toEqual([]);
  });
});

describe('incident ids', () => {
  it('are unique even for the same alert at the same minute (a replayed demo never overwrites an incident)', () => {
    const signal = { kind: 'alert' as const, alert: alert({}), receivedAt: T };
    const ids = new Set(Array.from({ length: 200 }, () => openIncident(signal, thread, known).id));
    expect(ids.size).toBe(200);
  });
});
