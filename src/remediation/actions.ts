import type { ActionKind, Risk } from '../model/remediation.js';
import type { ComponentKind } from '../model/telemetry.js';

/** What a step acts on: a CMDB component of some kind, or a caller->callee link. */
export type TargetKind = ComponentKind | 'link';

/** The registry of remediation actions: what each does, how risky it is, what it can act on, and how to undo it. */
export interface ActionSpec {
  kind: ActionKind;
  title: (target: string, params: Record<string, unknown>) => string;
  risk: Risk;
  rollback: (target: string, params: Record<string, unknown>) => string;
  /** the kinds of target the action makes sense for */
  targets: readonly TargetKind[];
  /** parameters the action cannot do without (e.g. the version to roll back to) */
  requires?: readonly string[];
}

const RUNNING: readonly TargetKind[] = ['gateway', 'service', 'database', 'cache', 'queue'];
const ANY: readonly TargetKind[] = [...RUNNING, 'external', 'link'];

export const ACTIONS: Record<ActionKind, ActionSpec> = {
  restart_service: {
    kind: 'restart_service',
    title: (t) => `Rolling restart of ${t}`,
    risk: 'low',
    rollback: () => 'none needed: a restart leaves configuration and code unchanged',
    targets: RUNNING,
  },
  rollback_deploy: {
    kind: 'rollback_deploy',
    title: (t, p) => `Roll back ${t} from ${String(p.fromVersion ?? 'the current version')} to ${String(p.toVersion ?? 'the previous version')}`,
    risk: 'medium',
    rollback: (t, p) => `redeploy ${t} ${String(p.fromVersion ?? 'the reverted version')}`,
    targets: ['gateway', 'service'],
    requires: ['toVersion'],
  },
  scale_out: {
    kind: 'scale_out',
    title: (t, p) => `Scale out ${t} by ${String(p.addReplicas ?? 2)} replicas`,
    risk: 'low',
    rollback: (t, p) => `scale ${t} back in by ${String(p.addReplicas ?? 2)} replicas`,
    targets: ['gateway', 'service'],
  },
  failover: {
    kind: 'failover',
    title: (t, p) => `Fail over ${t} to ${String(p.to ?? 'the standby')}`,
    risk: 'medium',
    rollback: (t) => `fail ${t} back to the primary once it is healthy`,
    targets: ['database', 'cache', 'queue', 'external', 'link'],
  },
  clear_cache: {
    kind: 'clear_cache',
    title: (t) => `Flush the cache ${t}`,
    risk: 'medium',
    rollback: () => 'none: the cache refills from the database',
    targets: ['cache'],
  },
  revert_config: {
    kind: 'revert_config',
    title: (t, p) => `Revert configuration change ${String(p.changeId ?? '')} on ${t}`.replace('  ', ' '),
    risk: 'medium',
    rollback: (t, p) => `re-apply change ${String(p.changeId ?? '')} on ${t}`,
    targets: RUNNING,
    requires: ['changeId'],
  },
  free_disk: {
    kind: 'free_disk',
    title: (t, p) => `Free disk space for ${t} (${String(p.paths ?? 'rotated logs and temp files')})`,
    risk: 'medium',
    rollback: () => 'none: only rotated logs and temporary files are removed',
    targets: RUNNING,
  },
  kill_slow_queries: {
    kind: 'kill_slow_queries',
    title: (t, p) => `Cancel queries running longer than ${String(p.olderThanSeconds ?? 30)} s on ${t}`,
    risk: 'medium',
    rollback: () => 'none: cancelled statements are retried by their callers',
    targets: ['database'],
  },
  enable_circuit_breaker: {
    kind: 'enable_circuit_breaker',
    title: (t) => `Open the circuit breaker on ${t}`,
    risk: 'low',
    rollback: (t) => `close the circuit breaker on ${t}`,
    targets: ['external', 'link'],
  },
  run_script: {
    kind: 'run_script',
    title: (t) => `Run a generated script on ${t}`,
    risk: 'high',
    rollback: () => 'none automatic: read the script and undo its effects by hand',
    targets: ANY,
    requires: ['script'],
  },
  call_webhook: {
    kind: 'call_webhook',
    title: (t, p) => `Call the automation hook "${String(p.hook ?? '?')}" for ${t}`,
    risk: 'medium',
    rollback: (t, p) => `call the hook "${String(p.hook ?? '?')}" with operation=rollback for ${t}`,
    targets: ANY,
    requires: ['hook'],
  },
  kubectl: {
    kind: 'kubectl',
    title: (t, p) => `kubectl ${String(p.verb ?? '?').replace('_', ' ')} deployment/${t}${p.replicas !== undefined ? ` to ${String(p.replicas)} replicas` : ''}`,
    risk: 'medium',
    rollback: (t, p) => (p.verb === 'rollout_undo' ? `kubectl rollout undo deployment/${t} again (back to the undone revision)` : p.verb === 'scale' ? `scale deployment/${t} back to its previous replica count` : 'none needed: a rollout restart changes no spec'),
    targets: ['gateway', 'service', 'cache', 'queue'],
    requires: ['verb'],
  },
};

export const KUBECTL_VERBS = ['rollout_restart', 'rollout_undo', 'scale'] as const;

/** Why an action cannot act on this target with these parameters; null when it fits. */
export function whyUnfit(action: ActionKind, targetKind: TargetKind | undefined, params: Record<string, unknown>): string | null {
  const spec = ACTIONS[action];
  if (!targetKind) return `the target is not in the CMDB`;
  if (!spec.targets.includes(targetKind)) return `${action} cannot act on a ${targetKind === 'link' ? 'network link' : targetKind}`;
  const missing = (spec.requires ?? []).filter((k) => params[k] === undefined || params[k] === '');
  if (missing.length > 0) return `${action} needs ${missing.join(', ')}, which the CMDB does not record for this target`;
  if (action === 'kubectl' && !(KUBECTL_VERBS as readonly unknown[]).includes(params.verb)) return `kubectl verb must be one of ${KUBECTL_VERBS.join(', ')}`;
  return null;
}

const RISK_ORDER: Risk[] = ['low', 'medium', 'high'];
export const maxRisk = (risks: Risk[]): Risk => RISK_ORDER[Math.max(0, ...risks.map((r) => RISK_ORDER.indexOf(r)))]!;
