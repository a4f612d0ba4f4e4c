import type { AnomalyKind, FaultKind, Finding } from '../../model/evidence.js';
import type { ComponentKind, MetricSeries } from '../../model/telemetry.js';
import { detectAnomaly, type DetectOptions, type MetricAnomaly } from '../metric-anomaly.js';
import { saturate } from '../robust.js';
import { topology } from './changes.js';
import type { ExpertContext } from './types.js';
import { finalize, fmtDelta, fmtValue, fullRange, hhmm } from './util.js';

interface Rule {
  direction: 'up' | 'down';
  hints: FaultKind[];
  opts: DetectOptions;
  /** a value at or beyond this is saturation */
  saturation?: number;
  label: string;
  /** score multiplier by detector kind (e.g. a memory trend matters more than a step) */
  kindWeight?: Partial<Record<MetricAnomaly['kind'], number>>;
}

const HOST_RULES: Record<string, Rule> = {
  cpu_util: { direction: 'up', hints: ['cpu_saturation'], opts: { minAbsChange: 10, minScale: 1 }, saturation: 90, label: 'host CPU' },
  mem_util: { direction: 'up', hints: ['memory_leak'], opts: { minAbsChange: 8, minScale: 1 }, saturation: 95, label: 'host memory' },
  disk_util: {
    direction: 'up', hints: ['disk_full'], opts: { minAbsChange: 5, minRelChange: 0.05, minScale: 0.5 }, saturation: 95, label: 'disk usage',
  },
  net_retransmits: {
    direction: 'up', hints: ['network_latency'], opts: { minAbsChange: 5, minRelChange: 1, minScale: 1 }, label: 'TCP retransmits',
  },
};

const SERVICE_RULES: Record<string, Rule> = {
  cpu_util: { direction: 'up', hints: ['cpu_saturation'], opts: { minAbsChange: 15, minScale: 1 }, saturation: 90, label: 'CPU' },
  mem_rss_mb: {
    direction: 'up', hints: ['memory_leak'], opts: { minRelChange: 0.15, relFloor: 0.01 }, label: 'resident memory',
    kindWeight: { trend: 1, level_shift: 0.75, spike: 0.5 },
  },
};

const KIND_RULES: Partial<Record<ComponentKind, Record<string, Rule>>> = {
  database: {
    pool_utilization: {
      direction: 'up', hints: ['db_connection_exhaustion'], opts: { minAbsChange: 0.15, minScale: 0.02, relFloor: 0 }, saturation: 0.95,
      label: 'connection pool utilisation',
    },
    active_connections: { direction: 'up', hints: ['db_connection_exhaustion'], opts: { minRelChange: 0.3, minScale: 1 }, label: 'active connections' },
    slow_queries: { direction: 'up', hints: ['db_connection_exhaustion'], opts: { minAbsChange: 3, minScale: 1, minRelChange: 1 }, label: 'slow queries' },
  },
  cache: {
    hit_rate: { direction: 'down', hints: ['cache_outage'], opts: { minAbsChange: 0.1, minScale: 0.01, relFloor: 0 }, label: 'cache hit rate' },
    throughput_rpm: { direction: 'down', hints: ['cache_outage'], opts: { minRelChange: 0.5 }, label: 'cache throughput' },
  },
  queue: {
    queue_depth: { direction: 'up', hints: [], opts: { minRelChange: 0.5, minAbsChange: 50, minScale: 5 }, label: 'queue depth' },
  },
};

/**
 * Expert 'metrics' (MonitorAgent): resource metrics of hosts (attributed to the services they run) and of services
 * (CPU, memory growth, restarts, database pool, cache hit rate). Golden signals are the traces expert's; business
 * KPIs the kpi expert's.
 */
export async function metricsExpert(ctx: ExpertContext): Promise<Finding[]> {
  const topo = topology(ctx.cmdb);
  const series = await ctx.connectors.metrics.query(fullRange(ctx));
  const hosts = new Set(ctx.cmdb.hosts.map((h) => h.name));
  const out: Finding[] = [];
  for (const s of series) {
    if (hosts.has(s.entity)) {
      const rule = HOST_RULES[s.metric];
      if (!rule) continue;
      const svcs = topo.servicesOnHost(s.entity);
      const f = ruleFinding(ctx, s, rule, `host ${s.entity}${svcs.length ? ` (${svcs.join(', ')})` : ''}`);
      if (!f) continue;
      if (!svcs.length) out.push({ ...f, id: `metrics:${s.entity}:${s.metric}`, component: s.entity });
      for (const svc of svcs) out.push({ ...f, id: `metrics:${s.entity}:${s.metric}:${svc}`, component: svc });
      continue;
    }
    const svc = topo.services.get(s.entity);
    if (!svc) continue;
    if (s.metric === 'restarts') {
      const f = restartFinding(ctx, s);
      if (f) out.push(f);
      continue;
    }
    const rule = KIND_RULES[svc.kind]?.[s.metric] ?? SERVICE_RULES[s.metric];
    if (!rule) continue;
    const f = ruleFinding(ctx, s, rule, s.entity);
    if (f) out.push({ ...f, id: `metrics:${s.entity}:${s.metric}`, component: s.entity });
  }
  return finalize(out);
}

function ruleFinding(ctx: ExpertContext, s: MetricSeries, rule: Rule, where: string): Finding | null {
  const a = detectAnomaly(s.points, ctx.baseline, ctx.window, { ...rule.opts, direction: rule.direction });
  if (!a) return null;
  const sat =
    rule.saturation !== undefined && (rule.direction === 'up' ? a.peak >= rule.saturation : a.peak <= rule.saturation);
  const anomaly: AnomalyKind = sat ? 'saturation' : a.kind;
  let score = a.score * (rule.kindWeight?.[a.kind] ?? 1);
  if (sat) score = Math.max(score, 0.6 + 0.3 * a.score);
  if (!rule.hints.length) score *= 0.6;
  const v = (x: number) => fmtValue(s.metric, x);
  const verb = a.direction === 'up' ? 'rose' : 'fell';
  const evidence = [
    `${s.metric} ${v(a.baseline)} → ${v(a.current)}${fmtDelta(s.metric, a.baseline, a.current)} from ${hhmm(a.onsetMs)}`,
    `peak ${v(a.peak)}; baseline ${v(a.baseline)} ± ${v(a.scale)}`,
  ];
  if (a.kind === 'trend') {
    const inWin = s.points.filter((p) => p.ts >= a.onsetMs && p.ts < ctx.window.toMs);
    const last = inWin[inWin.length - 1];
    if (last && inWin.length > 1 && last.ts > a.onsetMs) {
      const perMin = (last.value - inWin[0]!.value) / ((last.ts - inWin[0]!.ts) / 60_000);
      evidence.push(`steady ${a.direction === 'up' ? 'growth' : 'decline'} of ${fmtValue(s.metric, Math.abs(perMin))}/min`);
    }
  }
  if (sat) evidence.push(`at saturation (≥ ${v(rule.saturation!)})`);
  return {
    id: '',
    expert: 'metrics',
    component: '',
    signal: s.metric,
    anomaly,
    summary: `${rule.label} on ${where} ${verb} ${v(a.baseline)} → ${v(a.current)} from ${hhmm(a.onsetMs)} (${anomaly.replace('_', ' ')})`,
    evidence,
    score,
    onsetMs: a.onsetMs,
    direction: a.direction,
    faultHints: rule.hints,
    series: { entity: s.entity, metric: s.metric },
  };
}

function restartFinding(ctx: ExpertContext, s: MetricSeries): Finding | null {
  const inB = s.points.filter((p) => p.ts >= ctx.baseline.fromMs && p.ts < ctx.baseline.toMs);
  const inW = s.points.filter((p) => p.ts >= ctx.window.fromMs && p.ts < ctx.window.toMs);
  const wSum = inW.reduce((a, p) => a + Math.max(0, p.value), 0);
  if (wSum <= 0) return null;
  const bSum = inB.reduce((a, p) => a + Math.max(0, p.value), 0);
  const bMin = Math.max(1, (ctx.baseline.toMs - ctx.baseline.fromMs) / 60_000);
  const wMin = Math.max(1, (ctx.window.toMs - ctx.window.fromMs) / 60_000);
  const ratio = (wSum / wMin + 1 / bMin) / ((bSum + 1) / bMin);
  if (bSum > 0 && ratio < 3) return null; // restarting as much as usual
  const first = inW.find((p) => p.value > 0)!;
  // a single restart that coincides with a deploy of the service is the deploy's rollout, not a crash
  const deploy = ctx.cmdb.changes.find(
    (c) => c.kind === 'deploy' && c.target === s.entity && Math.abs(c.ts - first.ts) <= 3 * 60_000,
  );
  const restart = {
    id: `metrics:${s.entity}:restarts`,
    expert: 'metrics' as const,
    component: s.entity,
    signal: 'restarts',
    anomaly: 'restart' as const,
    onsetMs: first.ts,
    direction: 'up' as const,
    series: { entity: s.entity, metric: 'restarts' },
  };
  if (deploy && wSum <= 1) {
    return {
      ...restart,
      summary: `${s.entity} restarted at ${hhmm(first.ts)} with deploy ${deploy.id}`,
      evidence: [`1 restart at ${hhmm(first.ts)}, deploy ${deploy.id} at ${hhmm(deploy.ts)}${deploy.to ? ` (→ ${deploy.to})` : ''}`],
      score: 0.3,
      faultHints: ['bad_deploy'],
    };
  }
  return {
    ...restart,
    summary: `${s.entity} restarted ${wSum} time${wSum === 1 ? '' : 's'} from ${hhmm(first.ts)}`,
    evidence: [`${wSum} restart${wSum === 1 ? '' : 's'} since ${hhmm(first.ts)} (${bSum} in the baseline)`],
    score: 0.45 + 0.45 * saturate(wSum, 2),
    faultHints: ['memory_leak'],
  };
}
