import type { Finding, FaultKind } from '../../model/evidence.js';
import type { ChangeEvent, Cmdb, CmdbService, MetricSeries } from '../../model/telemetry.js';
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
const BASE: Record<ChangeEvent['kind'], number> = { deploy: 0.75, config: 0.7, feature_flag: 0.65, infra: 0.5 };
const HINTS: Record<ChangeEvent['kind'], FaultKind[]> = {
  deploy: ['bad_deploy'],
  config: ['config_change'],
  feature_flag: ['config_change'],
  infra: [],
};
const KIND_LABEL: Record<ChangeEvent['kind'], string> = {
  deploy: 'Deploy', config: 'Config change', feature_flag: 'Feature flag change', infra: 'Infra change',
};

/**
 * Expert 'cmdb' (CMDBAgent): change events (deploy / config / feature flag / infra) from the baseline's last hour
 * through the window. The closer a change precedes the symptom onset (ctx.symptomOnsetMs, else estimated from the
 * golden signals), the higher its score; a change well after the onset can hardly be its cause.
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
    const proximity = lead >= 0 ? Math.exp(-lead / (30 * 60_000)) : 0.15 * Math.exp(lead / (10 * 60_000));
    const score = BASE[c.kind] * (0.25 + 0.75 * proximity);
    const svc = topo.services.get(c.target);
    const owners = svc
      ? `owner ${svc.owner}${svc.oncall ? ` (on-call ${svc.oncall})` : ''}`
      : topo.servicesOnHost(c.target).length
        ? `services on host: ${topo.servicesOnHost(c.target).join(', ')}`
        : undefined;
    const fromTo = c.from !== undefined || c.to !== undefined ? ` ${c.from ?? '?'} → ${c.to ?? '?'}` : '';
    const rel =
      lead >= 0 ? `${Math.round(lead / 60_000)} min before the symptoms` : `${Math.round(-lead / 60_000)} min after the symptoms began`;
    const evidence = [`${c.kind} ${c.id} at ${hhmm(c.ts)}${fromTo} by ${c.author}`, rel];
    if (owners) evidence.push(owners);
    evidence.push(c.description);
    out.push({
      id: `cmdb:${c.id}`,
      expert: 'cmdb',
      component: c.target,
      signal: c.id,
      anomaly: 'change',
      summary: `${KIND_LABEL[c.kind]} on ${c.target} at ${hhmm(c.ts)}${fromTo}: ${c.description}`,
      evidence,
      score,
      onsetMs: c.ts,
      faultHints: HINTS[c.kind],
    });
  }
  return finalize(out);
}
