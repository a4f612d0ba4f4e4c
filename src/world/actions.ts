/**
 * Remediation actions against the simulated shop. Every action is validated like a real executor would (unknown
 * target, wrong kind of target, nothing to roll back …); valid actions change the simulation from the next minute on.
 * Only the action in the fault's `fixedBy` ends the fault; others act as they would in reality.
 */
import type { ActionKind } from '../model/remediation.js';
import type { ChangeEvent } from '../model/telemetry.js';
import type { Engine } from './engine.js';
import { ACQUIRERS } from './faults.js';
import { Rng } from './random.js';
import type { ActionResult } from './types.js';
import { EDGES, SERVICES, SVC, findEdge } from './topology.js';
import { changeId } from './templates.js';

const fail = (output: string): ActionResult => ({ ok: false, output, fixed: false });
const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

/**
 * What an executed action leaves in the CMDB change log: a change marked as a remediation (so the next diagnosis
 * reads it as a fix, not a suspect), stamped a few seconds into the action's minute, by the actor who ran it.
 */
function recordRemediation(eng: Engine, minute: number, change: Omit<ChangeEvent, 'id' | 'ts' | 'origin'>): void {
  const ts = eng.tsOf(minute) + 5_000;
  // two actions on one target in one minute (a scale-out, then a restart) are two changes with two ids
  const earlier = eng.changes.filter((c) => c.origin === 'remediation' && c.target === change.target && c.ts === ts).length;
  eng.changes.push({ id: changeId(earlier ? `${change.target}#${earlier}` : change.target, minute), ts, ...change, origin: 'remediation' });
}

function latestChange(eng: Engine, kind: ChangeEvent['kind'], target: string, before: number): ChangeEvent | undefined {
  return [...eng.changes].filter((c) => c.kind === kind && c.target === target && c.ts < before).sort((a, b) => b.ts - a.ts)[0];
}

export function performAction(
  eng: Engine,
  action: ActionKind,
  rawTarget: string,
  params: Record<string, string | number | boolean>,
): ActionResult {
  const minute = eng.frames.length; // the first minute not yet simulated
  const now = eng.tsOf(minute);
  const target = rawTarget.replace(/\s+/g, '');
  const r = Rng.for(eng.seed, 'action', minute, action, target);
  const isLink = target.includes('->');
  const [from = '', to = ''] = target.split('->');
  if (isLink && !findEdge(from, to)) {
    return fail(`unknown link "${rawTarget}"; known links: ${EDGES.filter((e) => e.kind === 'http').map((e) => `${e.from}->${e.to}`).join(', ')}`);
  }
  const spec = isLink ? undefined : SVC.get(target);
  if (!isLink && !spec) return fail(`unknown target "${rawTarget}"; known components: ${SERVICES.map((s) => s.name).join(', ')}`);
  const needService = (verb: string): ActionResult | undefined =>
    isLink ? fail(`${verb} needs a component, not a link ("${target}")`) : undefined;
  let output: string;
  const author = String(params.actor ?? 'sre-copilot');
  // set by the cases that leave a deploy or config change; every other action is logged as an operation
  let recorded = false;

  switch (action) {
    case 'restart_service': {
      const bad = needService('restart_service');
      if (bad) return bad;
      if (spec?.kind === 'external') return fail(`${target} is an external provider; it cannot be restarted from here`);
      const set = eng.restarts.get(minute) ?? new Set<string>();
      set.add(target);
      eng.restarts.set(minute, set);
      output = `Restarted ${target} at ${hhmm(now)}Z (rolling restart, ${target === 'postgres-main' || target === 'redis-cache' ? '1 instance' : '3 pods'})`;
      break;
    }
    case 'rollback_deploy': {
      const bad = needService('rollback_deploy');
      if (bad) return bad;
      const last = latestChange(eng, 'deploy', target, now);
      if (!last?.from) return fail(`no previous version of ${target} is recorded; nothing to roll back to`);
      const current = eng.carry.versions.get(target) ?? last.to ?? '';
      eng.carry.versions.set(target, last.from);
      recordRemediation(eng, minute, { kind: 'deploy', target, description: `Rollback ${target} to ${last.from}`, from: current, to: last.from, author });
      recorded = true;
      const set = eng.restarts.get(minute) ?? new Set<string>();
      set.add(target);
      eng.restarts.set(minute, set);
      output = `Rolled back ${target} from ${current} to ${last.from}`;
      break;
    }
    case 'scale_out': {
      const bad = needService('scale_out');
      if (bad) return bad;
      if (spec?.kind !== 'service' && spec?.kind !== 'gateway') return fail(`${target} is a ${spec?.kind ?? 'component'}; only stateless services can be scaled out`);
      const replicas = typeof params.replicas === 'number' ? params.replicas : 6;
      eng.scaled.set(target, 0.6);
      output = `Scaled ${target} from 3 to ${replicas} replicas`;
      break;
    }
    case 'failover': {
      if (isLink) {
        output = `Rerouted ${from} -> ${to} traffic through the secondary network path (zone-local endpoints)`;
      } else if (spec?.kind === 'external') {
        eng.carry.acquirer = ACQUIRERS.backup;
        eng.extraEvents.set(minute, [...(eng.extraEvents.get(minute) ?? []),
          { service: 'payment-service', level: 'INFO', count: 1, make: () => `Failover: switched acquirer ${ACQUIRERS.primary} -> ${ACQUIRERS.backup}` }]);
        output = `Switched ${target} to the backup acquirer ${ACQUIRERS.backup}`;
      } else if (spec?.kind === 'database') {
        output = `Promoted replica ${target}-replica-1 to primary; clients reconnected`;
      } else {
        return fail(`failover applies to a link "caller->callee", an external provider or the database, not to ${target}`);
      }
      break;
    }
    case 'clear_cache': {
      const bad = needService('clear_cache');
      if (bad) return bad;
      if (spec?.kind !== 'cache') return fail(`${target} is not a cache`);
      if (eng.fault.kind === 'cache_outage' && eng.fault.active(minute)) return fail(`FLUSHALL failed: connection refused (${target}:6379)`);
      eng.cacheClearedAt = minute;
      output = `Flushed ${target} (FLUSHALL ASYNC, ${r.int(180_000, 260_000)} keys)`;
      break;
    }
    case 'revert_config': {
      const bad = needService('revert_config');
      if (bad) return bad;
      const last = latestChange(eng, 'config', target, now);
      if (!last) return fail(`no configuration change of ${target} is recorded; nothing to revert`);
      const key = last.description.replace(/^set /, '').split(' ')[0] ?? 'config';
      recordRemediation(eng, minute, { kind: 'config', target, description: `revert ${key} ${last.to}→${last.from}`, from: last.to, to: last.from, author });
      recorded = true;
      output = `Reverted ${key} on ${target} from ${last.to} to ${last.from}`;
      break;
    }
    case 'free_disk': {
      const bad = needService('free_disk');
      if (bad) return bad;
      if (!spec?.host) return fail(`${target} has no host in the CMDB; nothing to clean up`);
      eng.diskFreed.set(minute, [...(eng.diskFreed.get(minute) ?? []), spec.host]);
      output = `Removed rotated logs and temp files under ${spec.dataDir} on ${spec.host}`;
      break;
    }
    case 'kill_slow_queries': {
      const bad = needService('kill_slow_queries');
      if (bad) return bad;
      if (spec?.kind !== 'database') return fail(`${target} is not a database`);
      const n = eng.fault.kind === 'db_connection_exhaustion' && eng.fault.active(minute) ? r.int(40, 160) : r.int(0, 2);
      eng.extraEvents.set(minute, [...(eng.extraEvents.get(minute) ?? []),
        { service: target, level: 'FATAL', count: Math.min(n, 6), make: () => 'terminating connection due to administrator command' }]);
      output = `Terminated ${n} queries running longer than 5 s on ${target}`;
      break;
    }
    case 'enable_circuit_breaker': {
      if (spec?.kind === 'database' || spec?.kind === 'cache' || spec?.kind === 'queue') return fail(`circuit breakers are configured on service calls, not on ${target}`);
      eng.breakers.add(target);
      output = `Enabled circuit breaker on calls to ${isLink ? target : `${target} (all callers)`}`;
      break;
    }
    default:
      return fail(`unsupported action ${String(action)}`);
  }

  if (!recorded) recordRemediation(eng, minute, { kind: 'operation', target, description: output, author });

  const f = eng.fault;
  const fixes = f.fixedBy().some((x) => x.action === action && x.target === target);
  if (fixes && f.fixedAt === undefined && minute >= f.onset) {
    f.fixedAt = minute;
    onFixed(eng, minute, r);
    return { ok: true, output, fixed: true };
  }
  f.react(action, target, minute);
  return { ok: true, output, fixed: false };
}

function onFixed(eng: Engine, minute: number, r: Rng): void {
  const f = eng.fault;
  if (f.kind === 'cache_outage') {
    eng.carry.cacheWarmFrom = minute;
    eng.extraEvents.set(minute, [...(eng.extraEvents.get(minute) ?? []),
      { service: f.target, level: 'INFO', count: 1, make: () => 'Server initialized' },
      { service: f.target, level: 'INFO', count: 1, make: () => 'Ready to accept connections tcp' }]);
  }
  if (f.kind === 'disk_full') {
    const host = SVC.get(f.target)?.host;
    if (host) eng.carry.disk.set(host, r.float(45, 55));
    eng.diskFreed.delete(minute);
  }
}
