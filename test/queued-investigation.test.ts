import { describe, expect, it } from 'vitest';
import { ConsoleChannel } from '../src/bot/console-channel.js';
import type { Incident } from '../src/model/incident.js';
import { createServeRuntime } from '../src/runtime.js';
import { testConfig } from './helpers.js';

/**
 * Cluster mode in one process, two runtimes on one store: the "serve" copilot opens the incident and hands it over
 * (dispatch) instead of investigating; the "worker" copilot runs the job; a second delivery of the same job changes
 * nothing; serve then reads the worker's suspended run back, so a decision can be taken where the click lands.
 */
describe('an investigation handed to a worker', () => {
  it('is opened by serve, investigated once by the worker, and its plan is decidable in serve', async () => {
    const config = await testConfig();
    const queued: Incident[] = [];
    const serve = await createServeRuntime({ config, dispatch: async (incident) => void queued.push(incident) });
    const worker = await createServeRuntime({ config, purpose: 'worker' });
    try {
      const serveCopilot = serve.copilotFor(new ConsoleChannel({ stream: null }));
      const conversation = serve.conversationFor(serveCopilot);
      const outcome = await conversation.alertGroup({
        key: '{}:{alertname="HighErrorRate"}',
        status: 'firing',
        firing: [{ name: 'HighErrorRate', source: 'alertmanager', severity: 'critical', summary: 'payment-service 5xx above 5%', labels: { alertname: 'HighErrorRate', service: 'payment-service' }, startsAt: serve.now() }],
        resolved: [],
      });
      expect(outcome.kind).toBe('opened');
      const incidentId = outcome.kind === 'opened' ? outcome.incidentId : '';
      expect(queued.map((i) => i.id)).toEqual([incidentId]);
      // serve did not investigate: no session, the stored incident still waits
      expect(serveCopilot.session(incidentId)).toBeUndefined();
      expect(await serve.store.get(incidentId, 'incident')).toMatchObject({ status: 'investigating' });

      const thread = new ConsoleChannel({ stream: null });
      const workerCopilot = worker.copilotFor(thread);
      expect(await workerCopilot.runQueued(incidentId)).toBe('investigated');
      const session = workerCopilot.session(incidentId);
      expect(session?.result.ranked[0]).toMatchObject({ component: 'payment-service', kind: 'bad_deploy' });
      const diagnoses = () => thread.transcript().split('Ranked root-cause hypotheses').length - 1;
      expect(diagnoses()).toBe(1);
      // the same job again (a redelivery): nothing is investigated or posted twice
      expect(await workerCopilot.runQueued(incidentId)).toBe('settled');
      expect(diagnoses()).toBe(1);
      expect(await workerCopilot.runQueued('INC-000000000000-00000000')).toBe('missing');

      // the click reaches serve: the plan the worker proposed is read back from its suspended run
      const loaded = await serveCopilot.load(incidentId);
      expect(loaded?.result.plan?.hash).toBe(session?.result.plan?.hash);
      expect(loaded?.approval).toBeNull();
    } finally {
      await worker.close();
      await serve.close();
    }
  }, 120_000);
});
