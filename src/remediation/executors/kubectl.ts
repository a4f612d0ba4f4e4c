import { execFile } from 'node:child_process';
import type { PlanStep } from '../../model/remediation.js';
import { createShellExecutor } from './shell.js';
import type { Executor } from './types.js';

export interface KubectlExecutorOptions {
  /** the kubectl binary (a name on PATH or an absolute path) */
  binary: string;
  namespace: string;
  /** kubeconfig context; kubectl's current context when unset */
  context?: string;
  timeoutMs: number;
}

/** Kubernetes names are DNS labels; anything else in a target is refused rather than passed on. */
const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Typed steps as kubectl commands on the service's Deployment. Only actions with a clear Kubernetes meaning map;
 * the rest return null and the executor says it cannot run them. Runs through the shell executor's execFile path,
 * so nothing is ever interpreted by a shell.
 */
export function kubectlArgv(step: PlanStep, opts: Pick<KubectlExecutorOptions, 'binary' | 'namespace' | 'context'>): string[] | null {
  if (!K8S_NAME.test(step.target)) throw new Error(`"${step.target}" is not a Kubernetes deployment name`);
  const base = [opts.binary, ...(opts.context ? ['--context', opts.context] : []), '-n', opts.namespace];
  const deployment = `deployment/${step.target}`;
  switch (step.action) {
    case 'restart_service':
      return [...base, 'rollout', 'restart', deployment];
    case 'rollback_deploy':
      return [...base, 'rollout', 'undo', deployment];
    case 'scale_out': {
      const replicas = Number(step.params.replicas);
      return Number.isInteger(replicas) && replicas > 0 ? [...base, 'scale', deployment, `--replicas=${replicas}`] : null;
    }
    case 'kubectl':
      // the typed kubectl action: a closed set of verbs, each mapped to fixed argv
      switch (step.params.verb) {
        case 'rollout_restart':
          return kubectlArgv({ ...step, action: 'restart_service' }, opts);
        case 'rollout_undo':
          return kubectlArgv({ ...step, action: 'rollback_deploy' }, opts);
        case 'scale':
          return kubectlArgv({ ...step, action: 'scale_out' }, opts);
        default:
          return null;
      }
    default:
      return null;
  }
}

/** The undo of a kubectl step, where Kubernetes has one. */
export function kubectlRollbackArgv(step: PlanStep, opts: Pick<KubectlExecutorOptions, 'binary' | 'namespace' | 'context'>): string[] | null {
  const undoesRollout = step.action === 'rollback_deploy' || (step.action === 'kubectl' && step.params.verb === 'rollout_undo');
  return undoesRollout ? kubectlArgv({ ...step, action: 'rollback_deploy' }, opts) : null;
}

/**
 * Whether kubectl is there and knows the context to act in: the named one, else a current context. Asked once per
 * executor (kubeconfig rarely changes under a running bot); null when usable, else why not.
 */
function probeKubectl(opts: KubectlExecutorOptions): Promise<string | null> {
  const args = opts.context ? ['config', 'get-contexts', opts.context, '-o', 'name'] : ['config', 'current-context'];
  return new Promise((resolve) => {
    execFile(opts.binary, args, { timeout: 10_000, shell: false }, (err, stdout) => {
      const e = err as NodeJS.ErrnoException | null;
      if (e?.code === 'ENOENT') return resolve(`${opts.binary} is not installed (or not on PATH)`);
      if (e || !String(stdout).trim()) {
        return resolve(opts.context ? `kubeconfig has no context "${opts.context}"` : 'kubeconfig has no current context; set SRE_COPILOT_KUBECTL_CONTEXT');
      }
      resolve(null);
    });
  });
}

export function createKubectlExecutor(opts: KubectlExecutorOptions): Executor {
  let probed: Promise<string | null> | null = null;
  const usable = () => (probed ??= probeKubectl(opts));
  const shell = createShellExecutor({
    name: 'kubectl',
    enabled: true,
    allow: [opts.binary],
    cwd: process.cwd(),
    timeoutMs: opts.timeoutMs,
    argvFor: (step) => kubectlArgv(step, opts),
    rollbackArgvFor: (step) => kubectlRollbackArgv(step, opts),
  });
  const guarded =
    (run: Executor['execute']): Executor['execute'] =>
    async (step, options) => {
      const problem = await usable();
      return problem ? { ok: false, output: `the kubectl executor cannot act: ${problem}` } : run(step, options);
    };
  return { name: 'kubectl', execute: guarded(shell.execute), rollback: guarded(shell.rollback!) };
}
