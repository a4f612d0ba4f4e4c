import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleChannel } from '../src/bot/console-channel.js';
import { createScenarioRuntime } from '../src/runtime.js';
import { testConfig } from './helpers.js';

/**
 * A team's own runbook drives the plan: a typed kubectl step (the scenario world simulates the cluster) and a call to
 * an automation hook configured by URL, executed in order after their pre-checks and verified step by step.
 */
describe('a runbook-driven, multi-step plan through the copilot', () => {
  const hookCalls: { url: string; operation: string; hook: unknown }[] = [];
  const hookServer = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(data) as { operation: string; step: { params: { hook?: unknown } } };
      hookCalls.push({ url: req.url ?? '', operation: body.operation, hook: body.step.params.hook });
      res.end('release channel notified');
    });
  });
  let hookUrl = '';
  let runbooksDir = '';
  beforeAll(async () => {
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/notify`;
    runbooksDir = await mkdtemp(path.join(os.tmpdir(), 'runbooks-'));
    await writeFile(
      path.join(runbooksDir, 'rb-bad-deploy.md'),
      [
        '---',
        'id: rb-our-bad-deploy',
        'title: Our bad-deploy procedure',
        'faults: [bad_deploy]',
        'remediation:',
        '  - action: kubectl',
        '    params: { verb: rollout_undo }',
        '    verify: [error_rate]',
        '    within: 8',
        '  - action: call_webhook',
        '    params: { hook: release-channel }',
        '---',
        'Undo the rollout, then tell the release channel.',
      ].join('\n'),
    );
  });
  afterAll(() => new Promise<void>((r) => hookServer.close(() => r())));

  it('proposes the runbook steps, runs both after an approval, calls the configured hook, and verifies recovery', async () => {
    const channel = new ConsoleChannel({ stream: null });
    const config = await testConfig({ SRE_COPILOT_RUNBOOKS: runbooksDir, SRE_COPILOT_HOOKS: `release-channel=${hookUrl}` });
    const runtime = await createScenarioRuntime({ config, scenario: 'bad-deploy-payment', seed: 2, channel });
    try {
      const opened = await runtime.copilot.handleAlertText(JSON.stringify(runtime.world.alertPayload()));
      if (!opened.ok) throw new Error(opened.error);
      const plan = opened.session.result.plan!;
      expect(plan.runbook).toBe('rb-our-bad-deploy');
      expect(plan.steps.map((s) => `${s.action} ${s.target}`)).toEqual(['kubectl payment-service', 'call_webhook payment-service']);
      expect(plan.steps[0]!.verification).toEqual([{ entity: 'payment-service', metric: 'error_rate', recoverWithinMinutes: 8 }]);
      expect(channel.transcript()).toMatch(/kubectl rollout undo deployment\/payment-service[\s\S]*before: payment-service is in the CMDB/);

      const decided = await runtime.copilot.decide(opened.session.incident.id, 'alice', 'approved');
      expect(decided.ok).toBe(true);
      const session = runtime.copilot.session(opened.session.incident.id)!;
      expect(session.execution!.steps.map((s) => [s.stepId, s.status])).toEqual([
        ['step-1', 'succeeded'],
        ['step-2', 'succeeded'],
      ]);
      expect(session.execution!.steps[0]!.output).toMatch(/Rolled back payment-service from/);
      expect(session.execution!.steps.every((s) => s.preChecks!.every((c) => c.ok))).toBe(true);
      expect(hookCalls).toEqual([{ url: '/notify', operation: 'execute', hook: 'release-channel' }]);
      expect(session.verification!.recovered).toBe(true);
      expect(session.verification!.steps!.find((s) => s.stepId === 'step-1')).toMatchObject({ recovered: true });
      const audit = (await runtime.store.listAudit({ incidentId: session.incident.id })).map((e) => e.type);
      expect(audit).toEqual(['proposed', 'approved', 'executed', 'executed', 'verified']);
    } finally {
      await runtime.close();
    }
  });
});

describe('an escalation ladder (stopIfRecovered)', () => {
  const ladder = async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'runbooks-'));
    const rung = (action: string, extra: string[] = []) => [`  - action: ${action}`, ...extra.map((l) => `    ${l}`)];
    const runbook = (kind: string, verify: string) =>
      ['---', `id: rb-ladder-${kind}`, 'title: Restart first, scale out if that was not enough', `faults: [${kind}]`, 'remediation:',
        ...rung('restart_service', ['params: { strategy: rolling }', `verify: [${verify}]`, 'within: 5', 'stopIfRecovered: true']),
        ...rung('scale_out', ['params: { addReplicas: 2 }', `verify: [${verify}]`]), '---', 'Ladder.'].join('\n');
    await writeFile(path.join(dir, 'memory.md'), runbook('memory_leak', 'latency_p95_ms, error_rate'));
    await writeFile(path.join(dir, 'cpu.md'), runbook('cpu_saturation', 'cpu_util'));
    return dir;
  };

  const play = async (scenario: string, seed: number) => {
    const channel = new ConsoleChannel({ stream: null });
    const config = await testConfig({ SRE_COPILOT_RUNBOOKS: await ladder() });
    const runtime = await createScenarioRuntime({ config, scenario, seed, channel });
    try {
      const opened = await runtime.copilot.handleAlertText(JSON.stringify(runtime.world.alertPayload()));
      if (!opened.ok) throw new Error(opened.error);
      expect(opened.session.result.plan!.steps.map((s) => [s.action, s.stopIfRecovered ?? false])).toEqual([
        ['restart_service', true],
        ['scale_out', false],
      ]);
      expect((await runtime.copilot.decide(opened.session.incident.id, 'alice', 'approved')).ok).toBe(true);
      return { session: runtime.copilot.session(opened.session.incident.id)!, transcript: channel.transcript() };
    } finally {
      await runtime.close();
    }
  };

  it('stops after the restart when it brought a leaking service back', async () => {
    const { session, transcript } = await play('memory-leak-cart', 3);
    expect(session.execution!.steps.map((s) => s.status)).toEqual(['succeeded', 'skipped']);
    expect(session.execution!.steps[1]!.output).toMatch(/^not needed: step-1 already brought the system back/);
    expect(transcript).toMatch(/escalation ladder: waiting 5 minutes[\s\S]*The remaining steps are not needed/);
    expect(session.verification!.recovered).toBe(true);
  });

  it('goes on to scale out when the restart did not relieve a saturated CPU', async () => {
    const { session, transcript } = await play('cpu-saturation-catalog', 3);
    expect(transcript).toMatch(/After step-1: catalog-service cpu_util still off\. Going on with the next step/);
    expect(session.execution!.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
    expect(session.verification!.recovered).toBe(true);
  });
});

describe('a script when the runbook action cannot act on the diagnosed component', () => {
  it('proposes the template script in full as a high-risk plan; with the shell executor off, it cannot run', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'runbooks-'));
    // scale_out cannot act on a cache, so no registered action fits
    await writeFile(path.join(dir, 'cache.md'), ['---', 'id: rb-cache-scale', 'title: Scale the cache', 'faults: [cache_outage]', 'remediation:', '  - action: scale_out', '---', 'x'].join('\n'));
    const channel = new ConsoleChannel({ stream: null });
    const config = await testConfig({ SRE_COPILOT_RUNBOOKS: dir, SRE_COPILOT_APPROVERS: 'alice,bob' });
    const runtime = await createScenarioRuntime({ config, scenario: 'cache-outage', seed: 2, channel });
    try {
      const opened = await runtime.copilot.handleAlertText(JSON.stringify(runtime.world.alertPayload()));
      if (!opened.ok) throw new Error(opened.error);
      const plan = opened.session.result.plan!;
      expect(plan.risk).toBe('high');
      expect(plan.steps.map((s) => `${s.action} ${s.target}`)).toEqual(['run_script redis-cache']);
      const transcript = channel.transcript();
      expect(transcript).toMatch(/No registered action fits: scale_out cannot act on a cache \(cache outage on redis-cache\)\.[\s\S]*built-in script templates is proposed instead/);
      expect(transcript).toMatch(/generated script for redis-cache \(high risk; runs only after two distinct approvals\)[\s\S]*unit='redis-cache'[\s\S]*systemctl restart "\$unit"/);

      const id = opened.session.incident.id;
      expect((await runtime.copilot.decide(id, 'alice', 'approved')).ok).toBe(true);
      expect(runtime.copilot.session(id)!.execution).toBeNull();
      expect((await runtime.copilot.decide(id, 'bob', 'approved')).ok).toBe(true);
      const execution = runtime.copilot.session(id)!.execution!;
      expect(execution.status).toBe('failed');
      expect(execution.steps[0]!.output).toMatch(/shell executor is off/);
      expect(channel.transcript()).toMatch(/No earlier step succeeded, so there is nothing to roll back/);
    } finally {
      await runtime.close();
    }
  });
});
