import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVER, type Cluster, firingNotification, startCluster } from '../src/bench/cluster.js';
import { isDiagnosis, recordedThreads } from '../src/bench/slack-recorder.js';
import { TEST_DATABASE_URL, freshSchema, postgresAvailable } from './postgres-helpers.js';
import { TEST_REDIS_URL, dropRedisPrefix, redisAvailable } from './redis-helpers.js';
import { waitUntil } from './wait.js';

/**
 * The product as a cluster, as a user runs it: `sre-copilot serve` and two `sre-copilot worker` processes on the real
 * local Redis and PostgreSQL, posting to a recorded Slack Web API. One worker is killed with SIGKILL in the middle of
 * an investigation: every alert still ends with exactly one thread holding exactly one diagnosis.
 */
const engines = (await postgresAvailable()) && (await redisAvailable());
if (!engines) console.warn('cluster tests skipped: they need the local PostgreSQL and Redis (.ci/run starts both)');

describe.skipIf(!engines)('cluster: serve + workers on Redis and PostgreSQL', () => {
  let cluster: Cluster;
  let home: string;
  const prefix = `sre-copilot-test-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'sre-cluster-'));
    cluster = await startCluster({
      workers: 2,
      concurrency: 1,
      // a killed worker's job comes back within seconds, not the production default's minute
      lockMs: 2_000,
      env: { DATABASE_URL: TEST_DATABASE_URL, SRE_COPILOT_DB_SCHEMA: freshSchema(), REDIS_URL: TEST_REDIS_URL, SRE_COPILOT_QUEUE_PREFIX: prefix, SRE_COPILOT_HOME: home },
    });
  }, 240_000);

  afterAll(async () => {
    await cluster?.close();
    await dropRedisPrefix(prefix);
    await rm(home, { recursive: true, force: true });
  });

  it('a worker killed mid-investigation loses no alert and duplicates no diagnosis', async () => {
    const services = ['load-svc-1', 'load-svc-2', 'load-svc-3', 'load-svc-4'];
    const answers = await Promise.all(services.map((s, i) => cluster.alertmanager(firingNotification(`ClusterAlert${i + 1}`, s))));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202]);
    const incidents = answers.map((a) => String(a.body['incidentId']));
    expect(new Set(incidents).size).toBe(4);

    // the first worker is killed as soon as it has begun an investigation
    await waitUntil(async () => /investigating \(attempt 1\)/.test(cluster.workerLog(0)), 60_000, 'worker 1 taking a job');
    cluster.workers[0]!.child.kill('SIGKILL');
    const begun = [...cluster.workerLog(0).matchAll(/(INC-\S+): investigating/g)].map((m) => m[1]!);
    const finished = new Set([...cluster.workerLog(0).matchAll(/(INC-\S+): investigated/g)].map((m) => m[1]!));
    const cutShort = begun.filter((id) => !finished.has(id));
    expect(cutShort.length).toBeGreaterThan(0);

    await waitUntil(async () => recordedThreads(cluster.slack.calls).filter((t) => t.replies.some(isDiagnosis)).length === 4, 150_000, 'four diagnosed threads');
    // anything still in flight would show up now
    await new Promise((r) => setTimeout(r, 3_000));
    const threads = recordedThreads(cluster.slack.calls);
    expect(threads).toHaveLength(4);
    for (const t of threads) expect(t.replies.filter(isDiagnosis), t.rootText).toHaveLength(1);
    // nor is what a dead worker had already posted: each expert's findings appear once per thread
    for (const t of threads) {
      const findings = t.replies.map((r) => /^🔎 (\S+) expert:/.exec(r.text)?.[1]).filter((x): x is string => Boolean(x));
      expect(findings.length, t.rootText).toBeGreaterThan(0);
      expect(new Set(findings).size, `${t.rootText}: ${findings.join(', ')}`).toBe(findings.length);
    }
    // what the dead worker held was delivered again to the other one: resumed where it stopped when its run had
    // begun, investigated from the start when the kill came before that
    for (const id of cutShort) expect(cluster.workerLog(1)).toMatch(new RegExp(`${id}: investigating \\(attempt 2\\)[\\s\\S]*${id}: (resumed|investigated|settled)`));
    const resumed = cutShort.filter((id) => new RegExp(`${id}: resumed`).test(cluster.workerLog(1)));
    const noticed = threads.filter((t) => t.replies.some((r) => /a worker stopped while investigating/.test(r.text)));
    expect(noticed.length).toBe(resumed.length);
  }, 240_000);

  it('a redelivered notification (the same group and fingerprint) opens nothing new', async () => {
    const before = recordedThreads(cluster.slack.calls).length;
    const payload = firingNotification('ClusterRedelivered', 'load-svc-9');
    const first = await cluster.alertmanager(payload);
    const again = await cluster.alertmanager(payload);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body['incidentId']).toBe(first.body['incidentId']);
    expect(again.body['outcome']).toBe('updated');
    await waitUntil(async () => recordedThreads(cluster.slack.calls).some((t) => t.rootText.includes('ClusterRedelivered') && t.replies.some(isDiagnosis)), 90_000, 'its diagnosis');
    expect(recordedThreads(cluster.slack.calls)).toHaveLength(before + 1);
  }, 120_000);

  it('a plan a worker proposed is approved with a button that reaches serve, and runs once', async () => {
    const thread = recordedThreads(cluster.slack.calls).find((t) => t.replies.some(isDiagnosis))!;
    const plan = thread.replies.find((r) => JSON.stringify(r.blocks ?? []).includes('"actions"'))!;
    const actions = (plan.blocks as { type: string; elements?: { value: string }[] }[]).find((b) => b.type === 'actions')!;
    const approve = actions.elements!.map((e) => e.value).find((v) => v.startsWith('approve:'))!;
    const message = { ts: plan.ts!, threadTs: thread.rootTs, blocks: plan.blocks! };
    expect(await cluster.click(APPROVER, approve, message)).toBe(200);
    const executed = () => recordedThreads(cluster.slack.calls).find((t) => t.rootTs === thread.rootTs)!.replies.filter((r) => /^✅ Fix succeeded|^❌ Fix failed/.test(r.text));
    await waitUntil(async () => executed().length === 1, 60_000, 'the fix executed in the thread');
    // the same click again (a double click, a retried request): refused, nothing runs twice
    const toApprover = () => cluster.slack.calls.filter((c) => c.method === 'chat.postEphemeral' && c.user === APPROVER);
    const answered = toApprover().length;
    expect(await cluster.click(APPROVER, approve, message)).toBe(200);
    await waitUntil(async () => toApprover().length > answered, 30_000, 'the second click answered');
    expect(toApprover().at(-1)?.text).toMatch(/^Not done/);
    expect(executed()).toHaveLength(1);
  }, 120_000);
});
