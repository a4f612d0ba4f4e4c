import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import type { PlanStep } from '../../model/remediation.js';
import { kubectlArgv } from './kubectl.js';
import { createConfiguredExecutor } from './registry.js';
import { createRoutingExecutor } from './routing.js';
import type { Executor } from './types.js';
import { createHookExecutor } from './webhook.js';

const step = (action: PlanStep['action'], params: PlanStep['params'] = {}): PlanStep => ({
  id: 'step-1',
  action,
  target: 'payment-service',
  params,
  description: `${action} payment-service`,
  risk: 'medium',
  preChecks: [],
  verification: [],
  rollback: 'undo',
});

const recorder = (name: string, canUndo = true): Executor & { seen: string[] } => {
  const seen: string[] = [];
  return {
    name,
    seen,
    execute: async (s, { dryRun }) => (seen.push(`${dryRun ? 'dry' : 'run'} ${s.action}`), { ok: true, output: name }),
    ...(canUndo ? { rollback: async (s: PlanStep) => (seen.push(`undo ${s.action}`), { ok: true, output: `${name} undid` }) } : {}),
  };
};

describe('automation hooks (call_webhook)', () => {
  const received: { url: string; body: { operation: string; step: PlanStep } }[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      received.push({ url: req.url ?? '', body: JSON.parse(data) as { operation: string; step: PlanStep } });
      res.end('purged');
    });
  });
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('POSTs to the URL configured for the named hook, and refuses a hook that is not configured', async () => {
    const hooks = createHookExecutor({ hooks: { 'purge-cdn': `${base}/purge` }, timeoutMs: 2_000 });
    expect(await hooks.execute(step('call_webhook', { hook: 'purge-cdn' }), { dryRun: false })).toEqual({ ok: true, output: 'purged' });
    expect(received.at(-1)).toMatchObject({ url: '/purge', body: { operation: 'execute', step: { action: 'call_webhook', params: { hook: 'purge-cdn' } } } });
    const before = received.length;
    expect(await hooks.execute(step('call_webhook', { hook: 'http://evil.example/' }), { dryRun: false })).toEqual({
      ok: false,
      output: 'no automation hook named "http://evil.example/" is configured (SRE_COPILOT_HOOKS: purge-cdn)',
    });
    expect(await hooks.execute(step('call_webhook', { hook: 'constructor' }), { dryRun: false })).toMatchObject({ ok: false });
    expect(await hooks.rollback!(step('call_webhook', { hook: 'purge-cdn' }), { dryRun: true })).toMatchObject({ ok: true, output: expect.stringMatching(/^\[dry-run\] would POST to http:\/\/127\.0\.0\.1:\d+\/purge/) });
    expect(received.length).toBe(before);
  });

  it('reads hooks from SRE_COPILOT_HOOKS and rejects malformed entries', () => {
    expect(loadConfig({ SRE_COPILOT_HOOKS: 'purge-cdn=https://automation.example/purge, drain=http://10.0.0.5:8080/drain' }).hooks).toEqual({
      'purge-cdn': 'https://automation.example/purge',
      drain: 'http://10.0.0.5:8080/drain',
    });
    expect(() => loadConfig({ SRE_COPILOT_HOOKS: 'purge-cdn' })).toThrow(/name=http\(s\):\/\/url/);
  });
});

describe('routing executor', () => {
  it('sends each action kind to its specialist and the rest to the base, for runs, dry runs and rollbacks', async () => {
    const base = recorder('scenario', false);
    const shell = recorder('shell');
    const ex = createRoutingExecutor(base, { run_script: shell });
    expect(ex.name).toBe('scenario');
    await ex.execute(step('restart_service'), { dryRun: false });
    await ex.execute(step('run_script', { script: 'echo hi' }), { dryRun: true });
    expect(await ex.rollback!(step('run_script', { script: 'echo hi' }), { dryRun: false })).toEqual({ ok: true, output: 'shell undid' });
    expect(await ex.rollback!(step('restart_service'), { dryRun: false })).toEqual({ ok: false, output: 'the scenario executor cannot undo restart_service steps; undo it by hand: undo' });
    expect(base.seen).toEqual(['run restart_service']);
    expect(shell.seen).toEqual(['dry run_script', 'undo run_script']);
  });

  it('maps the typed kubectl action onto fixed argv for its three verbs only', () => {
    const opts = { binary: 'kubectl', namespace: 'shop' };
    expect(kubectlArgv(step('kubectl', { verb: 'rollout_restart' }), opts)).toEqual(['kubectl', '-n', 'shop', 'rollout', 'restart', 'deployment/payment-service']);
    expect(kubectlArgv(step('kubectl', { verb: 'rollout_undo' }), opts)).toEqual(['kubectl', '-n', 'shop', 'rollout', 'undo', 'deployment/payment-service']);
    expect(kubectlArgv(step('kubectl', { verb: 'scale', replicas: 4 }), opts)).toEqual(['kubectl', '-n', 'shop', 'scale', 'deployment/payment-service', '--replicas=4']);
    expect(kubectlArgv(step('kubectl', { verb: 'delete' }), opts)).toBeNull();
  });

  it('routes scripts to the (disabled) shell and kubectl steps to kubectl outside the scenario world', async () => {
    const config = loadConfig({ SRE_COPILOT_EXECUTOR: 'webhook', SRE_COPILOT_WEBHOOK_URL: 'http://127.0.0.1:9/hook', SRE_COPILOT_KUBECTL: '/nonexistent/kubectl' });
    const ex = createConfiguredExecutor({ config });
    expect(ex.name).toBe('webhook');
    expect(await ex.execute(step('run_script', { script: 'echo hi' }), { dryRun: true })).toEqual({ ok: false, output: 'the shell executor is off; set SRE_COPILOT_SHELL_ENABLED=true to enable it' });
    // the kubectl step reached kubectl, which is not installed here
    expect(await ex.execute(step('kubectl', { verb: 'rollout_restart' }), { dryRun: true })).toEqual({ ok: false, output: 'the kubectl executor cannot act: /nonexistent/kubectl is not installed (or not on PATH)' });
    expect(await ex.execute(step('restart_service'), { dryRun: true })).toMatchObject({ ok: true, output: expect.stringMatching(/would POST to http:\/\/127\.0\.0\.1:9\/hook/) });
    expect(() => createConfiguredExecutor({ config: loadConfig({ SRE_COPILOT_EXECUTOR: 'webhook' }) })).toThrow(/needs SRE_COPILOT_WEBHOOK_URL/);
  });
});
