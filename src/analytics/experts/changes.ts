import type { Finding, FaultKind } from '../../model/evidence.js';
import { type ChangeEvent, type Cmdb, type CmdbService, type MetricSeries, undoneByRemediation } from '../../model/telemetry.js';
import { DataSourceError } from '../../connectors/types.js';
import { detectAnomaly, type DetectOptions } from '../metric-anomaly.js';
import type { ExpertContext } from './types.js';
import { finalize, fullRange, hhmm } from './util.js';

/** Topology helpers over the CMDB. */
export interface Topology {
  services: Map<string, CmdbService>;
  /** service → services it calls (CMDB dependsOn) */
  callees: Map<string, string[]>;
  /** service → services that call it */
  callers: Map<string, string[]>;
  /** first host of a service (undefined for external services) */
  hostOf(service: string): string | undefined;
  hostsOf(service: string): string[];
  servicesOnHost(host: string): string[];
  kindOf(name: string): CmdbService['kind'] | 'host' | undefined;
}

export function topology(cmdb: Cmdb): Topology {
  const services = new Map(cmdb.services.map((s) => [s.name, s]));
  const callees = new Map<string, string[]>();
  const callers = new Map<string, string[]>();
  const byHost = new Map<string, string[]>();
  for (const s of cmdb.services) {
    callees.set(s.name, [...s.dependsOn]);
    callers.set(s.name, callers.get(s.name) ?? []);
    for (const d of s.dependsOn) callers.set(d, [...(callers.get(d) ?? []), s.name]);
    for (const h of s.hosts) byHost.set(h, [...(byHost.get(h) ?? []), s.name]);
  }
  const hosts = new Set(cmdb.hosts.map((h) => h.name));
  return {
    services,
    callees,
    callers,
    hostOf: (svc) => services.get(svc)?.hosts[0],
    hostsOf: (svc) => [...(services.get(svc)?.hosts ?? [])],
    servicesOnHost: (host) => [...(byHost.get(host) ?? [])],
    kindOf: (name) => services.get(name)?.kind ?? (hosts.has(name) ? 'host' : undefined),
  };
}

const LOOKBACK_MS = 60 * 60_000;
const COINCIDENT_MS = 3 * 60_000;

const SYMPTOMS: Record<string, DetectOptions> = {
  error_rate: { direction: 'up', minScale: 0.005, relFloor: 0, minRelChange: 0, minAbsChange: 0.02 },
  latency_p95_ms: { direction: 'up', relFloor: 0.05, minRelChange: 0.3, minAbsChange: 10 },
  orders_per_minute: { direction: 'down', minRelChange: 0.15 },
  payment_success_rate: { direction: 'down', minRelChange: 0.05, minScale: 0.005 },
};

/**
 * When the symptoms began, if the caller does not say: the median onset of the strongest golden-signal / KPI
 * anomalies (median, so one noisy early series does not drag it); the window end when nothing stands out.
 */
export async function estimateSymptomOnset(ctx: ExpertContext): Promise<number> {
  let series: MetricSeries[];
  try {
    series = await ctx.connectors.metrics.query(fullRange(ctx));
  } catch (e) {
    if (e instanceof DataSourceError) return ctx.window.toMs;
    throw e;
  }
  const found: { score: number; onsetMs: number }[] = [];
  for (const s of series) {
    const opts = SYMPTOMS[s.metric];
    const a = opts && detectAnomaly(s.points, ctx.baseline, ctx.window, opts);
    if (a && a.score >= 0.5) found.push(a);
  }
  if (!found.length) return ctx.window.toMs;
  const top = found.sort((a, b) => b.score - a.score || a.onsetMs - b.onsetMs).slice(0, 5).map((a) => a.onsetMs).sort((a, b) => a - b);
  return top[Math.floor((top.length - 1) / 2)]!;
}
const BASE: Record<ChangeEvent['kind'], number> = { deploy: 0.75, config: 0.7, feature_flag: 0.65, infra: 0.5, operation: 0.4 };
const HINTS: Record<ChangeEvent['kind'], FaultKind[]> = {
  deploy: ['bad_deploy'],
  config: ['config_change'],
  feature_flag: ['config_change'],
  infra: [],
  operation: [],
};
const KIND_LABEL: Record<ChangeEvent['kind'], string> = {
  deploy: 'Deploy', config: 'Config change', feature_flag: 'Feature flag change', infra: 'Infra change', operation: 'Operation',
};
/** a remediation is listed for context only: just above the noise floor, so it never outweighs an observation */
const REMEDIATION_SCORE = 0.15;

const isRemediation = (c: ChangeEvent) => c.origin === 'remediation';
const fromTo = (c: ChangeEvent) => (c.from !== undefined || c.to !== undefined ? ` ${c.from ?? '?'} → ${c.to ?? '?'}` : '');
const forIncident = (c: ChangeEvent) => (c.incidentId ? ` (${c.incidentId}${c.planId ? `, plan ${c.planId}` : ''})` : '');

/** "sre-copilot rolled back payment-service 2.8.2 → 2.8.1 at 13:20 (INC-…)" */
function remediationSummary(c: ChangeEvent, changes: readonly ChangeEvent[]): string {
  const rollback = c.kind === 'deploy' && changes.some((d) => d.kind === 'deploy' && d.target === c.target && d.ts < c.ts && d.to === c.from && d.from === c.to);
  const verb = rollback ? 'rolled back' : c.kind === 'deploy' ? 'deployed' : c.kind === 'config' ? 'changed the configuration of' : 'acted on';
  return `${c.author} ${verb} ${c.target}${fromTo(c)} at ${hhmm(c.ts)}${forIncident(c)}: ${c.description}`;
}

/**
 * Expert 'cmdb' (CMDBAgent): change events (deploy / config / feature flag / infra / operation) from the baseline's
 * last hour through the window. The closer a change precedes the symptom onset (ctx.symptomOnsetMs, else estimated
 * from the golden signals), the higher its score; a change well after the onset can hardly be its cause. A
 * remediation (a fix the copilot or other incident automation made) is listed as context with no fault hint: the
 * rollback of a bad deploy is not "the latest deploy", and a change it took away says so.
 */
export async function changesExpert(ctx: ExpertContext): Promise<Finding[]> {
  const topo = topology(ctx.cmdb);
  const from = Math.min(ctx.baseline.toMs, ctx.window.fromMs) - LOOKBACK_MS;
  const ref = ctx.symptomOnsetMs ?? (await estimateSymptomOnset(ctx));
  const out: Finding[] = [];
  for (const c of ctx.cmdb.changes) {
    if (c.ts < from || c.ts >= ctx.window.toMs) continue;
    // ms the change precedes the symptoms; onsets are minute-resolution estimates, so a change up to
    // COINCIDENT_MS after the onset counts as coincident rather than late
    const lead = ref - c.ts >= -COINCIDENT_MS ? Math.max(0, ref - c.ts) : ref - c.ts;
    const rel =
      lead >= 0 ? `${Math.round(lead / 60_000)} min before the symptoms` : `${Math.round(-lead / 60_000)} min after the symptoms began`;
    const base = { id: `cmdb:${c.id}`, expert: 'cmdb' as const, component: c.target, signal: c.id, anomaly: 'change' as const, onsetMs: c.ts };
    if (isRemediation(c)) {
      out.push({
        ...base,
        summary: remediationSummary(c, ctx.cmdb.changes),
        evidence: [`${c.kind} ${c.id} at ${hhmm(c.ts)}${fromTo(c)} by ${c.author}`, 'a remediation, not a suspect', rel, c.description],
        score: REMEDIATION_SCORE,
        faultHints: [],
        origin: 'remediation',
      });
      continue;
    }
    const proximity = lead >= 0 ? Math.exp(-lead / (30 * 60_000)) : 0.15 * Math.exp(lead / (10 * 60_000));
    const score = BASE[c.kind] * (0.25 + 0.75 * proximity);
    const svc = topo.services.get(c.target);
    const owners = svc
      ? `owner ${svc.owner}${svc.oncall ? ` (on-call ${svc.oncall})` : ''}`
      : topo.servicesOnHost(c.target).length
        ? `services on host: ${topo.servicesOnHost(c.target).join(', ')}`
        : undefined;
    const undo = undoneByRemediation(c, ctx.cmdb.changes);
    const undone = undo ? `${c.kind === 'deploy' ? 'rolled back' : 'reverted'} by ${undo.author} at ${hhmm(undo.ts)}${undo.incidentId ? ` for ${undo.incidentId}` : ''}` : undefined;
    const evidence = [`${c.kind} ${c.id} at ${hhmm(c.ts)}${fromTo(c)} by ${c.author}`, ...(undone ? [undone] : []), rel];
    if (owners) evidence.push(owners);
    evidence.push(c.description);
    out.push({
      ...base,
      summary: `${KIND_LABEL[c.kind]} on ${c.target} at ${hhmm(c.ts)}${fromTo(c)}: ${c.description}${undone ? ` (${undone})` : ''}`,
      evidence,
      score,
      faultHints: HINTS[c.kind],
    });
  }
  return finalize(out);
}
