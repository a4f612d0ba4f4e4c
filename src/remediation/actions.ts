import type { ActionKind, Risk } from '../model/remediation.js';

/** The registry of remediation actions: what each does, how risky it is, and how to undo it. */
export interface ActionSpec {
  kind: ActionKind;
  title: (target: string, params: Record<string, unknown>) => string;
  risk: Risk;
  rollback: (target: string, params: Record<string, unknown>) => string;
}

export const ACTIONS: Record<ActionKind, ActionSpec> = {
  restart_service: {
    kind: 'restart_service',
    title: (t) => `Rolling restart of ${t}`,
    risk: 'low',
    rollback: () => 'none needed: a restart leaves configuration and code unchanged',
  },
  rollback_deploy: {
    kind: 'rollback_deploy',
    title: (t, p) => `Roll back ${t} from ${String(p.fromVersion ?? 'the current version')} to ${String(p.toVersion ?? 'the previous version')}`,
    risk: 'medium',
    rollback: (t, p) => `redeploy ${t} ${String(p.fromVersion ?? 'the reverted version')}`,
  },
  scale_out: {
    kind: 'scale_out',
    title: (t, p) => `Scale out ${t} by ${String(p.addReplicas ?? 2)} replicas`,
    risk: 'low',
    rollback: (t, p) => `scale ${t} back in by ${String(p.addReplicas ?? 2)} replicas`,
  },
  failover: {
    kind: 'failover',
    title: (t, p) => `Fail over ${t} to ${String(p.to ?? 'the standby')}`,
    risk: 'medium',
    rollback: (t) => `fail ${t} back to the primary once it is healthy`,
  },
  clear_cache: {
    kind: 'clear_cache',
    title: (t) => `Flush the cache ${t}`,
    risk: 'medium',
    rollback: () => 'none: the cache refills from the database',
  },
  revert_config: {
    kind: 'revert_config',
    title: (t, p) => `Revert configuration change ${String(p.changeId ?? '')} on ${t}`.replace('  ', ' '),
    risk: 'medium',
    rollback: (t, p) => `re-apply change ${String(p.changeId ?? '')} on ${t}`,
  },
  free_disk: {
    kind: 'free_disk',
    title: (t, p) => `Free disk space for ${t} (${String(p.paths ?? 'rotated logs and temp files')})`,
    risk: 'medium',
    rollback: () => 'none: only rotated logs and temporary files are removed',
  },
  kill_slow_queries: {
    kind: 'kill_slow_queries',
    title: (t, p) => `Cancel queries running longer than ${String(p.olderThanSeconds ?? 30)} s on ${t}`,
    risk: 'medium',
    rollback: () => 'none: cancelled statements are retried by their callers',
  },
  enable_circuit_breaker: {
    kind: 'enable_circuit_breaker',
    title: (t) => `Open the circuit breaker on ${t}`,
    risk: 'low',
    rollback: (t) => `close the circuit breaker on ${t}`,
  },
  run_script: {
    kind: 'run_script',
    title: (t) => `Run a generated script on ${t}`,
    risk: 'high',
    rollback: () => 'none automatic: read the script and undo its effects by hand',
  },
};

const RISK_ORDER: Risk[] = ['low', 'medium', 'high'];
export const maxRisk = (risks: Risk[]): Risk => RISK_ORDER[Math.max(0, ...risks.map((r) => RISK_ORDER.indexOf(r)))]!;
