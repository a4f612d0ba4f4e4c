import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ConsoleChannel } from '../src/bot/console-channel.js';
import { IncidentSchema } from '../src/model/incident.js';
import { parseAlert } from '../src/alerts/index.js';
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

  it('joins an alert rule and detection about the same service into one incident, closed when both resolved', async () => {
    const config = await testConfig();
    const second = await createServeRuntime({ config, scenario: 'bad-deploy-payment', seed: 4 });
    try {
      const channel = new ConsoleChannel({ stream: null });
      const conversation = second.conversationFor(second.copilotFor(channel));
      const rule = parseAlert(JSON.stringify({ alertname: 'ServiceErrorRateHigh', severity: 'critical', service: 'payment-service', summary: '5xx above 5 %' }));
      if (!rule.ok) throw new Error(rule.error);
      const opened = await conversation.alertGroup({ key: 'am:{alertname="ServiceErrorRateHigh"}', status: 'firing', firing: rule.alerts, resolved: [] });
      expect(opened.kind).toBe('opened');
      const news: DetectionNews[] = [];
      const ctx: DetectionContext = { metrics: second.connectors.metrics, now: () => second.now(), chartsDir: await mkdtemp(path.join(os.tmpdir(), 'sre-detect-')), open: new Map(), raise: async (n) => void news.push(n) };
      await goldenSignalsJob('* * * * *').run(ctx);
      expect(news[0]!.current.some((s) => s.entity === 'payment-service')).toBe(true);
      await raiseDetection(conversation, news[0]!, () => undefined, (line) => expect.fail(line));
      const ids = await second.store.listIncidents();
      expect(ids).toHaveLength(1); // the symptoms joined the alert's incident
      await vi.waitFor(() => expect(channel.transcript()).toMatch(/Found by scheduled detection: .*\(critical\)\.\n/), { timeout: 10_000 });
      expect(channel.transcript()).not.toMatch(/no alert had fired\.\n/);
      // detection sees everything back to normal, but the rule still fires: the incident stays open
      await raiseDetection(conversation, { current: [], raised: [], recovered: news[0]!.current.map((s) => s.key) }, () => undefined, (line) => expect.fail(line));
      expect(IncidentSchema.parse(await second.store.get(ids[0]!, 'incident')).status).not.toBe('resolved');
      expect(channel.transcript()).toMatch(/the incident stays open while 1 other alert group\(s\) about it still fire/);
      await conversation.alertGroup({ key: 'am:{alertname="ServiceErrorRateHigh"}', status: 'resolved', firing: [], resolved: rule.alerts });
      expect(IncidentSchema.parse(await second.store.get(ids[0]!, 'incident')).status).toBe('resolved');
    } finally {
      await second.close();
    }
  }, 60_000);
});
