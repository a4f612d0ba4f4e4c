import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConsoleChannel } from '../src/bot/console-channel.js';
import type { Config } from '../src/config.js';
import type { Connectors } from '../src/connectors/types.js';
import { Copilot, type CopilotDeps } from '../src/copilot/copilot.js';
import { openIncident } from '../src/copilot/incident.js';
import { IncidentSchema } from '../src/model/incident.js';
import { createServeRuntime } from '../src/runtime.js';
import { storeEnv, testConfig } from './helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const node = `${root}node_modules/.bin/node`;
const SEED = 2;

/**
 * Runs test/crash.child.ts (the serve runtime in a process of its own) until it reaches the message matching
 * `hangAt`, then kills it with SIGKILL: no shutdown code runs, as after a crash or an OOM kill.
 */
async function crashAt(config: Config, hangAt: string, args: string[] = []): Promise<string[]> {
  const env = { ...process.env, ...storeEnv(config), SRE_COPILOT_USER: 'alice', SRE_COPILOT_APPROVERS: 'alice', LLM_PROVIDER: 'none', HANG_AT: hangAt, SEED: String(SEED) };
  const child = spawn(node, ['--no-warnings=ExperimentalWarning', '--import', `${root}node_modules/tsx/dist/loader.mjs`, `${root}test/crash.child.ts`, 'alert', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const posts: string[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const hung = await new Promise<boolean>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = JSON.parse(line) as { post?: string; hang?: string };
      if (m.post !== undefined) posts.push(m.post);
      if (m.hang !== undefined) resolve(true);
    });
    child.on('exit', () => resolve(false));
  });
  if (!hung) throw new Error(`the child finished without reaching "${hangAt}": ${stderr}`);
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return posts;
}

/** The next start: the serve runtime on the same home, a console copilot, and its restore. */
async function restart(config: Config) {
  const channel = new ConsoleChannel({ stream: null });
  const runtime = await createServeRuntime({ config, seed: SEED });
  const copilot = runtime.copilotFor(channel);
  return { runtime, channel, copilot };
}

async function incidentsJson(config: Config): Promise<{ id: string; status: string; topCause: { target: string; kind: string } | null; channel: string; thread: string }[]> {
  const { stdout } = await promisify(execFile)(`${root}bin/sre-copilot`, ['incidents', '--json'], { env: { ...process.env, ...storeEnv(config), LLM_PROVIDER: 'none' } });
  return (JSON.parse(stdout) as { incidents: [] }).incidents;
}

describe('after serve is killed with SIGKILL', () => {
  it('resumes an interrupted investigation on the next start, and lists it as it goes', async () => {
    const config = await testConfig();
    const before = await crashAt(config, 'expert: ');
    expect(before.some((p) => /Ranked root-cause/.test(p))).toBe(false);

    const listed = await incidentsJson(config);
    expect(listed).toEqual([expect.objectContaining({ status: 'investigating', channel: 'console', topCause: null })]);
    const id = listed[0]!.id;

    const next = await restart(config);
    try {
      expect(IncidentSchema.parse(await next.runtime.store.get(id, 'incident')).status).toBe('investigating');
      const restored = await next.copilot.restore();
      expect(restored.map((s) => s.incident.id)).toEqual([id]);
      const transcript = next.channel.transcript();
      expect(transcript).toMatch(/sre-copilot restarted while investigating this incident; picking it up where it stopped/);
      expect(transcript).toMatch(/Ranked root-cause hypotheses[\s\S]*Proposed fix: Roll back payment-service/);
      expect(IncidentSchema.parse(await next.runtime.store.get(id, 'incident')).status).toBe('diagnosed');
      expect((await next.runtime.store.listAudit({ incidentId: id })).map((e) => e.type)).toEqual(['proposed']);
      expect(await incidentsJson(config)).toEqual([expect.objectContaining({ id, status: 'awaiting-approval', topCause: expect.objectContaining({ target: 'payment-service', kind: 'bad_deploy' }) })]);
      // the resumed incident is an ordinary one: approved, executed once, verified
      expect((await next.copilot.decide(id, 'alice', 'approved')).ok).toBe(true);
      expect(next.copilot.session(id)!.verification?.recovered).toBe(true);
      expect(await incidentsJson(config)).toEqual([expect.objectContaining({ id, status: 'resolved' })]);
    } finally {
      await next.runtime.close();
    }
  }, 120_000);

  it('with a background job, restores pending plans at once and resumes the interrupted investigation in that job', async () => {
    const config = await testConfig();
    await crashAt(config, 'expert: ');
    const id = (await incidentsJson(config))[0]!.id;
    const next = await restart(config);
    try {
      const jobs: (() => Promise<void>)[] = [];
      // a server calls restore like this so that it can answer requests while the investigation resumes
      expect(await next.copilot.restore({ background: (job) => jobs.push(job) })).toEqual([]);
      expect(next.copilot.session(id)).toBeUndefined();
      expect(jobs).toHaveLength(1);
      await jobs[0]!();
      expect(next.copilot.session(id)!.result.plan?.title).toMatch(/Roll back payment-service/);
    } finally {
      await next.runtime.close();
    }
  }, 120_000);

  it('verifies a fix that was executed before the crash, and does not run it again', async () => {
    const config = await testConfig();
    const before = await crashAt(config, '^⏳ Waiting', ['approve']);
    expect(before.some((p) => /^✅ Fix succeeded/.test(p))).toBe(true);
    const next = await restart(config);
    try {
      const [id] = await next.runtime.store.listIncidents();
      expect(await next.runtime.store.get(id!, 'verification')).toBeNull();
      expect(await next.copilot.restore()).toEqual([]);
      expect(next.channel.transcript()).toMatch(/restarted while verifying the fix[\s\S]*Waiting \d+ minutes, then re-reading telemetry[\s\S]*(Recovered|Not recovered)/);
      expect(next.channel.transcript()).not.toMatch(/Executing \d+ step/);
      expect(next.copilot.session(id!)!.verification).not.toBeNull();
      expect(await next.runtime.store.get(id!, 'verification')).not.toBeNull();
      const audit = (await next.runtime.store.listAudit({ incidentId: id! })).map((e) => e.type);
      expect(audit).toEqual(['proposed', 'approved', 'executed', 'verified']);
    } finally {
      await next.runtime.close();
    }
  }, 120_000);

  it('never runs a fix twice when the crash came in the middle of it: it says so and checks recovery', async () => {
    const config = await testConfig();
    await crashAt(config, '^✅ Approved by alice\\. Executing', ['approve']);
    const next = await restart(config);
    try {
      const [id] = await next.runtime.store.listIncidents();
      expect(await next.copilot.restore()).toEqual([]);
      const transcript = next.channel.transcript();
      expect(transcript).toMatch(/restarted while the approved fix "Roll back payment-service[^"]*" was running\. It is not run again/);
      expect(transcript).not.toMatch(/Executing \d+ step/);
      expect(transcript).toMatch(/Not recovered/);
      expect(next.copilot.session(id!)!.execution).toBeNull();
      const audit = (await next.runtime.store.listAudit({ incidentId: id! })).map((e) => e.type);
      expect(audit).toEqual(['proposed', 'approved', 'verified']);
      // settled: a second approval is refused, and nothing runs
      expect(await next.copilot.decide(id!, 'alice', 'approved')).toEqual({ ok: false, error: expect.stringMatching(/already approved/) });
    } finally {
      await next.runtime.close();
    }
  }, 120_000);

  it('marks an investigation abandoned, with a notice, when it cannot be resumed; nothing retries it', async () => {
    const config = await testConfig();
    await crashAt(config, 'expert: ');
    const next = await restart(config);
    try {
      // the data source is gone after the restart: the investigation cannot finish
      const deps = Reflect.get(next.copilot, 'deps') as CopilotDeps;
      const broken: Connectors = { ...deps.connectors, cmdb: { snapshot: () => Promise.reject(new Error('cmdb.yaml: unreadable')) } as Connectors['cmdb'] };
      const copilot = new Copilot({ ...deps, connectors: broken });
      expect(await copilot.restore()).toEqual([]);
      expect(next.channel.transcript()).toMatch(/could not be resumed after the restart \(.*cmdb\.yaml: unreadable.*\); it is marked abandoned/);
      expect(await incidentsJson(config)).toEqual([expect.objectContaining({ status: 'abandoned' })]);
      const noticed = next.channel.transcript();
      expect(await next.copilot.restore()).toEqual([]);
      expect(next.channel.transcript()).toBe(noticed);
    } finally {
      await next.runtime.close();
    }
  }, 120_000);

  it('starts the investigation of an incident opened just before the crash (listed as open until then)', async () => {
    const config = await testConfig();
    const first = await restart(config);
    const cmdb = await first.runtime.connectors.cmdb.snapshot();
    const alert = { name: 'PaymentSuccessRateLow', severity: 'critical' as const, service: 'business', summary: 'payment success rate is low', labels: {}, startsAt: first.runtime.now(), source: 'minimal' };
    const incident = openIncident({ kind: 'alert', alert, receivedAt: first.runtime.now() }, { channel: 'console', threadId: 'console-1' }, cmdb.services.map((s) => s.name));
    await first.runtime.store.put(incident.id, 'incident', incident);
    await first.runtime.close();
    expect(await incidentsJson(config)).toEqual([expect.objectContaining({ id: incident.id, status: 'open', runId: null })]);
    const next = await restart(config);
    try {
      const restored = await next.copilot.restore();
      expect(restored.map((s) => s.incident.id)).toEqual([incident.id]);
      expect(next.channel.transcript()).toMatch(/restarted before this investigation began; starting it now[\s\S]*Ranked root-cause hypotheses/);
      expect(await incidentsJson(config)).toEqual([expect.objectContaining({ id: incident.id, status: 'awaiting-approval' })]);
    } finally {
      await next.runtime.close();
    }
  }, 120_000);
});
