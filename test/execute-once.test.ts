import { afterAll, describe, expect, it } from 'vitest';
import { ConsoleChannel } from '../src/bot/console-channel.js';
import { createServeRuntime, type ServeRuntime } from '../src/runtime.js';
import { postgresSettings, testConfig } from './helpers.js';
import { dropSchema, postgresAvailable } from './postgres-helpers.js';

/**
 * An approved plan runs once, however many copilots (processes, in a cluster) hold it: two runtimes on one store and
 * one Mastra storage — the second brought the pending plan back from storage as a parallel process would — are both told to
 * approve it at the same moment; one executes, the other says it did not.
 */
const pgUp = await postgresAvailable();

describe.each([
  { store: 'libsql', skip: false },
  { store: 'postgres', skip: !pgUp },
])('an approved plan is executed exactly once ($store)', ({ store, skip }) => {
  let runtime: ServeRuntime;
  let second: ServeRuntime;
  let schema: string | undefined;
  afterAll(async () => {
    await second?.close();
    await runtime?.close();
    if (schema) for (const s of [schema, `${schema}_mastra`]) await dropSchema(s);
  });

  it.skipIf(skip)('when two copilots race to approve it', async () => {
    const config = await testConfig(store === 'postgres' ? await postgresSettings() : {});
    schema = config.database?.schema;
    runtime = await createServeRuntime({ config, scenario: 'bad-deploy-payment', seed: 5 });
    // a second runtime on the same home: its own Mastra and store connections, as another process would have
    second = await createServeRuntime({ config, scenario: 'bad-deploy-payment', seed: 5, purpose: 'investigate' });
    const [channelA, channelB] = [new ConsoleChannel({ stream: null }), new ConsoleChannel({ stream: null })];
    const a = runtime.copilotFor(channelA);
    const opened = await a.handleAlertText(JSON.stringify(runtime.world!.alertPayload()));
    if (!opened.ok) throw new Error(opened.error);
    const id = opened.session.incident.id;
    const plan = opened.session.result.plan!;
    expect(plan).toBeTruthy();
    const b = second.copilotFor(channelB);
    const pending = await b.restore();
    expect(pending.map((s) => s.incident.id)).toContain(id);

    const [ra, rb] = await Promise.all([a.decide(id, 'alice', 'approved'), b.decide(id, 'alice', 'approved')]);
    // the lifecycle run's resume is claimed in Mastra's storage (one conditional write): the loser is told so
    expect([ra.ok, rb.ok].filter(Boolean)).toHaveLength(1);
    const loser = (ra.ok ? rb : ra) as { ok: false; error: string };
    expect(loser.error).toMatch(/no decision is awaited/);
    const executed = (await runtime.store.listAudit({ incidentId: id })).filter((e) => e.type === 'executed' || e.type === 'step_failed');
    expect(executed).toHaveLength(plan.steps.length);
    const transcript = channelA.transcript() + channelB.transcript();
    expect(transcript.match(/Executing \d+ step\(s\)/g)).toHaveLength(1);
  }, 60_000);
});
