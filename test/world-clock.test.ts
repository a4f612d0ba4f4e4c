import { describe, expect, it } from 'vitest';
import { ConsoleChannel } from '../src/bot/console-channel.js';
import { createServeRuntime } from '../src/runtime.js';
import { testConfig } from './helpers.js';

/**
 * An alert posted in `serve` about a component of the scenario world carries the wall clock; the world's telemetry
 * is dated on its own clock. It used to read an empty window ("the experts found nothing") every time.
 */
describe('an alert stamped with the wall clock, about the scenario world', () => {
  it('is investigated over the world’s own time line and names the faulty service', async () => {
    const config = await testConfig();
    const runtime = await createServeRuntime({ config, scenario: 'bad-deploy-payment', seed: 2 });
    try {
      const conversation = runtime.conversationFor(runtime.copilotFor(new ConsoleChannel({ stream: null })));
      const payload = JSON.stringify({
        version: '4',
        status: 'firing',
        receiver: 'sre-copilot',
        groupKey: '{}:{alertname="HighErrorRate"}',
        alerts: [{ status: 'firing', labels: { alertname: 'HighErrorRate', service: 'payment-service', severity: 'critical' }, annotations: { summary: 'payment-service 5xx above 5%' }, startsAt: new Date().toISOString(), fingerprint: 'a1b2' }],
      });
      const opened = await conversation.alert(payload, null);
      expect(opened.kind).toBe('opened');
      const outcome = opened.kind === 'opened' ? opened.outcome : null;
      expect(outcome?.ok).toBe(true);
      const session = outcome?.ok && 'session' in outcome ? outcome.session : null;
      expect(session!.incident.window.toMs).toBe(runtime.now());
      expect(session!.result.ranked[0]).toMatchObject({ component: 'payment-service', kind: 'bad_deploy' });
    } finally {
      await runtime.close();
    }
  });
});
