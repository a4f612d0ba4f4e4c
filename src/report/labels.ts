import type { AnomalyKind, FaultKind } from '../model/evidence.js';
import type { ActionKind, PreCheck } from '../model/remediation.js';

/** Human wording for enum values, shared by the report and chat messages. */

const FAULT_LABELS: Record<FaultKind, string> = {
  cpu_saturation: 'CPU saturation',
  memory_leak: 'memory leak',
  disk_full: 'disk full',
  network_latency: 'network latency',
  db_connection_exhaustion: 'database connection exhaustion',
  bad_deploy: 'bad deploy',
  config_change: 'configuration change',
  third_party_timeout: 'third-party timeout',
  cache_outage: 'cache outage',
};

const ACTION_LABELS: Record<ActionKind, string> = {
  restart_service: 'restart service',
  rollback_deploy: 'roll back deploy',
  scale_out: 'scale out',
  failover: 'fail over',
  clear_cache: 'clear cache',
  revert_config: 'revert config',
  free_disk: 'free disk space',
  call_webhook: 'call automation hook',
  kubectl: 'kubectl',
  kill_slow_queries: 'kill slow queries',
  enable_circuit_breaker: 'enable circuit breaker',
  run_script: 'run script',
};

export function faultLabel(kind: FaultKind): string {
  return FAULT_LABELS[kind] ?? kind;
}

export function actionLabel(action: ActionKind): string {
  return ACTION_LABELS[action] ?? action;
}

/** A pre-check in words, as the plan shows it before anyone approves. */
export function preCheckLabel(check: PreCheck): string {
  switch (check.kind) {
    case 'component_exists':
      return `${check.component} is in the CMDB`;
    case 'version_still_deployed':
      return `${check.component} still runs ${check.version}`;
    case 'still_degraded':
      return `the trouble is still there (${check.targets.slice(0, 3).map((t) => `${t.entity} ${t.metric}`).join(', ')}${check.targets.length > 3 ? ', …' : ''})`;
    case 'dry_run':
      return "the executor's dry run succeeds";
  }
}

export function anomalyLabel(kind: AnomalyKind): string {
  return kind.replace(/_/g, ' ');
}

/** `2026-11-20 09:03:12` (UTC). */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
}

/** `09:03:12` (UTC). */
export function formatClock(ms: number): string {
  return formatTime(ms).slice(11);
}

export function formatPercent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** Compact number for metric values: 0.1234 → 0.123, 2345.6 → 2346. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 1) return x.toFixed(2).replace(/\.?0+$/, '');
  return x.toPrecision(3).replace(/\.?0+$/, '');
}
