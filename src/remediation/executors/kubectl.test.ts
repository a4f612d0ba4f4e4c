import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PlanStep } from '../../model/remediation.js';
import { createKubectlExecutor, kubectlArgv } from './kubectl.js';

const step = (action: PlanStep['action'], target = 'payment-service', params: PlanStep['params'] = {}): PlanStep => ({
  id: 'step-1',
  action,
  target,
  params,
  description: `${action} ${target}`,
  risk: 'medium',
  preChecks: [],
  verification: [],
});

/** A stand-in kubectl that records its arguments, so the executor's real execFile path is exercised. */
async function fakeKubectl(): Promise<{ binary: string; log: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fake-kubectl-'));
  const binary = path.join(dir, 'kubectl');
  const log = path.join(dir, 'calls.log');
  await writeFile(
    binary,
    [
      '#!/bin/sh',
      // kubeconfig questions: one context, "prod", which is also the current one
      'if [ "$1" = config ]; then',
      '  if [ "$2" = current-context ] || [ "$3" = prod ]; then echo prod; exit 0; fi',
      '  echo "error: context not found" >&2; exit 1',
      'fi',
      `printf '%s\\n' "$*" >> "${log}"`,
      'echo "deployment.apps/$5 done"',
    ].join('\n') + '\n',
  );
  await chmod(binary, 0o755);
  return { binary, log };
}

describe('kubectl executor', () => {
  const opts = { binary: 'kubectl', namespace: 'shop' };

  it('maps typed steps onto the service deployment and refuses what has no Kubernetes meaning', () => {
    expect(kubectlArgv(step('restart_service'), opts)).toEqual(['kubectl', '-n', 'shop', 'rollout', 'restart', 'deployment/payment-service']);
    expect(kubectlArgv(step('rollback_deploy'), { ...opts, context: 'prod' })).toEqual(['kubectl', '--context', 'prod', '-n', 'shop', 'rollout', 'undo', 'deployment/payment-service']);
    expect(kubectlArgv(step('scale_out', 'cart-service', { replicas: 6 }), opts)).toEqual(['kubectl', '-n', 'shop', 'scale', 'deployment/cart-service', '--replicas=6']);
    expect(kubectlArgv(step('scale_out', 'cart-service', { addReplicas: 2 }), opts)).toBeNull();
    expect(kubectlArgv(step('free_disk'), opts)).toBeNull();
    expect(() => kubectlArgv(step('restart_service', 'x; rm -rf /'), opts)).toThrow(/not a Kubernetes deployment name/);
  });

  it('runs the command through execFile, dry-runs without running, and reports unmappable steps', async () => {
    const { binary, log } = await fakeKubectl();
    const exec = createKubectlExecutor({ binary, namespace: 'shop', timeoutMs: 5_000 });
    expect(exec.name).toBe('kubectl');
    const dry = await exec.execute(step('restart_service'), { dryRun: true });
    expect(dry).toMatchObject({ ok: true, output: expect.stringMatching(/\[dry-run\].*rollout restart deployment\/payment-service/) });
    await expect(readFile(log, 'utf8')).rejects.toThrow(); // nothing ran
    const real = await exec.execute(step('restart_service'), { dryRun: false });
    expect(real).toMatchObject({ ok: true, output: expect.stringContaining('deployment.apps/') });
    expect(await readFile(log, 'utf8')).toBe('-n shop rollout restart deployment/payment-service\n');
    expect(await exec.execute(step('free_disk'), { dryRun: false })).toMatchObject({ ok: false, output: expect.stringMatching(/has no command for the kubectl executor/) });
  });

  it('refuses to act, even in a dry run, without the binary or the named context', async () => {
    const { binary, log } = await fakeKubectl();
    const missingContext = createKubectlExecutor({ binary, namespace: 'shop', context: 'staging', timeoutMs: 5_000 });
    expect(await missingContext.execute(step('restart_service'), { dryRun: true })).toEqual({ ok: false, output: 'the kubectl executor cannot act: kubeconfig has no context "staging"' });
    const missingBinary = createKubectlExecutor({ binary: path.join(path.dirname(binary), 'nope'), namespace: 'shop', timeoutMs: 5_000 });
    expect(await missingBinary.execute(step('restart_service'), { dryRun: false })).toMatchObject({ ok: false, output: expect.stringMatching(/nope is not installed/) });
    const named = createKubectlExecutor({ binary, namespace: 'shop', context: 'prod', timeoutMs: 5_000 });
    expect(await named.execute(step('rollback_deploy'), { dryRun: false })).toMatchObject({ ok: true });
    expect(await readFile(log, 'utf8')).toBe('--context prod -n shop rollout undo deployment/payment-service\n');
  });
});
