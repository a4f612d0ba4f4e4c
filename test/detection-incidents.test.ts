import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ConsoleChannel } from '../src/bot/console-channel.js';
import { IncidentSchema } from '../src/model/incident.js';
import { createServeRuntime, type ServeRuntime } from '../src/runtime.js';
import { raiseDetection } from '../src/schedules/detection.js';
import { goldenSignalsJob, type DetectionContext, type DetectionNews } from '../src/schedules/jobs.js';
import { testConfig } from './helpers.js';

/**
 * What scheduled detection does in the chat: the correlated symptoms of one fault (a bad deploy fails payment, the
 * payment success rate and orders drop) open ONE incident with a diagnosis and a chart per symptom; the next run with
 * nothing new adds nothing; when every symptom is back to normal the incident is closed.
 */
describe('scheduled detection opens one incident for correlated symptoms', () => {
  let runtime: ServeRuntime;
  afterAll(async () => runtime?.close());

  it('opens, stays quiet, then closes', async () => {
    runtime = await createServeRuntime({ config: await testConfig(), scenario: 'bad-deploy-payment', seed: 4 });
    const channel = new ConsoleChannel({ stream: null });
    const conversation = runtime.conversationFor(runtime.copilotFor(channel));
    const news: DetectionNews[] = [];
    const ctx: DetectionContext = { metrics: runtime.connectors.metrics, now: () => runtime.now(), chartsDir: await mkdtemp(path.join(os.tmpdir(), 'sre-detect-')), open: new Map(), raise: async (n) => void news.push(n) };
    const job = goldenSignalsJob('* * * * *');

    await job.run(ctx);
    expect(news).toHaveLength(1);
    const first = news[0]!;
    expect(first.raised.length).toBeGreaterThan(1); // several symptoms of one fault
    await raiseDetection(conversation, first, () => undefined, (line) => expect.fail(line));
    const ids = await runtime.store.listIncidents();
    expect(ids).toHaveLength(1);
    const incident = IncidentSchema.parse(await runtime.store.get(ids[0]!, 'incident'));
    expect(incident.status).toBe('diagnosed');
    expect(conversation.copilot.session(ids[0]!)!.result.ranked[0]?.component).toBe('payment-service');
    await vi.waitFor(() => expect(channel.transcript().match(/Found by scheduled detection/g)?.length).toBe(first.raised.length), { timeout: 10_000 });

    await job.run(ctx);
    expect(news).toHaveLength(1); // nothing new, nothing raised

    // every symptom recovered: the group resolves and the incident closes
    ctx.open.clear();
    ctx.open.set('payment-service|error_rate', 'critical');
    await raiseDetection(conversation, { current: [], raised: [], recovered: ['payment-service|error_rate'] }, () => undefined, (line) => expect.fail(line));
    expect(IncidentSchema.parse(await runtime.store.get(ids[0]!, 'incident')).status).toBe('resolved');
    expect(await runtime.store.listIncidents()).toHaveLength(1);
  }, 60_000);
});
