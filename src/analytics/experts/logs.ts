import type { FaultKind, Finding } from '../../model/evidence.js';
import type { LogLevel, LogRecord, MetricPoint } from '../../model/telemetry.js';
import { detectAnomaly } from '../metric-anomaly.js';
import { TemplateMiner } from '../log-templates.js';
import { compareTemplates, type LevelBurst, type TemplateChange } from '../template-compare.js';
import { saturate } from '../robust.js';
import { topology, type Topology } from './changes.js';
import type { ExpertContext } from './types.js';
import { finalize, fmtNum, fullRange, hhmm, truncate } from './util.js';

const LEVEL_WEIGHT: Record<LogLevel, number> = { FATAL: 1, ERROR: 0.95, WARN: 0.75, INFO: 0.5, DEBUG: 0.3 };
const CALL_TARGET = /(?:Timeout calling|Retrying request to)\s+['"]?([A-Za-z][\w.-]*[A-Za-z0-9])/i;

export interface LogClassification {
  hints: FaultKind[];
  /** the component the text points at (a service, a link "svc->X", or the service itself) */
  component: string;
}

interface ClassifyInput {
  text: string;
  service: string;
  topo: Topology;
  /** most frequent "Timeout calling X" / "Retrying request to X" target in the raw messages */
  callTarget?: string;
  /** a deploy of this service shortly before the text first appeared */
  afterDeploy?: boolean;
  /** the template's dominant level */
  level?: LogLevel;
}

function depOfKind(topo: Topology, service: string, kind: string, text: string): string | undefined {
  const named = [...topo.services.values()].find((s) => s.kind === kind && text.includes(s.name));
  if (named) return named.name;
  const deps = (topo.callees.get(service) ?? []).filter((d) => topo.services.get(d)?.kind === kind);
  return deps.length === 1 ? deps[0] : undefined;
}

/** Fault hints and the implicated component from a log template's text (rules of thumb an SRE would apply). */
export function classifyLogText(i: ClassifyInput): LogClassification {
  const { text, service, topo } = i;
  const hints: FaultKind[] = [];
  let component: string | undefined;
  const hint = (k: FaultKind, c?: string) => {
    if (!hints.includes(k)) hints.push(k);
    component ??= c;
  };
  const target = i.callTarget ?? CALL_TARGET.exec(text)?.[1];
  if (target && target !== '<*>') {
    if (topo.services.get(target)?.kind === 'external') hint('third_party_timeout', target);
    else hint('network_latency', `${service}->${target}`);
  } else if (CALL_TARGET.test(text)) hint('network_latency', service);
  if (/Bank gateway|acquirer/i.test(text)) hint('third_party_timeout', depOfKind(topo, service, 'external', text) ?? 'bank-gateway');
  if (/Connection refused:?\s*redis/i.test(text)) hint('cache_outage', depOfKind(topo, service, 'cache', text) ?? 'redis-cache');
  if (/OutOfMemoryError|OOMKilled|\bGC\b/.test(text)) hint('memory_leak', service);
  if (/No space left on device|Disk usage of/i.test(text)) hint('disk_full', service);
  if (
    /Connection is not available|too many (?:connections|clients)|remaining connection slots|statement timeout|duration: .*statement/i.test(text) ||
    (/\bpool\b/i.test(text) && !/thread pool/i.test(text))
  ) {
    const own = topo.services.get(service)?.kind === 'database';
    hint('db_connection_exhaustion', own ? service : (depOfKind(topo, service, 'database', text) ?? service));
  }
  if (/Request processing slow|Thread pool/i.test(text)) hint('cpu_saturation', service);
  // a config key echoed with its value, e.g. "(payment.client.timeout.ms=300)"
  if (/Configuration|config|invalid value|\b[a-z][\w-]*(?:\.[\w-]+){2,}=/i.test(text)) hint('config_change', service);
  if (i.afterDeploy && /NullPointerException|Exception at|panic recovered|nil pointer dereference|Unhandled exception|TypeError:/.test(text)) {
    hint('bad_deploy', service);
  }
  // a cache that logs its own errors (crash, OOM, refused) is down
  if (topo.services.get(service)?.kind === 'cache' && (i.level === 'ERROR' || i.level === 'FATAL')) hint('cache_outage', service);
  return { hints, component: component ?? service };
}

function topTarget(counts: Map<string, number> | undefined): string | undefined {
  if (!counts) return undefined;
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}

/**
 * Expert 'logs': mines templates per service over baseline + window and reports templates new in the window,
 * surging templates and WARN/ERROR/FATAL bursts, with fault hints read from the template text.
 */
export async function logsExpert(ctx: ExpertContext): Promise<Finding[]> {
  const range = fullRange(ctx);
  const records = await ctx.connectors.logs.read(range);
  const topo = topology(ctx.cmdb);
  const byService = new Map<string, LogRecord[]>();
  for (const r of records) {
    const l = byService.get(r.service);
    if (l) l.push(r);
    else byService.set(r.service, [r]);
  }
  const out: Finding[] = [];
  for (const [service, recs] of [...byService].sort((a, b) => a[0].localeCompare(b[0]))) {
    out.push(...analyzeService(ctx, topo, service, recs));
  }
  return finalize(out);
}

function analyzeService(ctx: ExpertContext, topo: Topology, service: string, recs: LogRecord[]): Finding[] {
  const { baseline, window } = ctx;
  const inWin = (ts: number) => ts >= window.fromMs && ts < window.toMs;
  const miner = new TemplateMiner();
  const targets = new Map<string, Map<string, number>>();
  const levelPerMin = new Map<LogLevel, Map<number, number>>();
  for (const r of recs) {
    const id = miner.add(r.message, r.ts, r.level);
    const perMin = levelPerMin.get(r.level) ?? new Map<number, number>();
    const b = Math.floor(r.ts / 60_000) * 60_000;
    perMin.set(b, (perMin.get(b) ?? 0) + 1);
    levelPerMin.set(r.level, perMin);
    if (!inWin(r.ts)) continue;
    const t = CALL_TARGET.exec(r.message)?.[1];
    if (t) {
      const m = targets.get(id) ?? new Map<string, number>();
      m.set(t, (m.get(t) ?? 0) + 1);
      targets.set(id, m);
    }
  }
  const cmp = compareTemplates(miner.window(baseline.fromMs, baseline.toMs), miner.window(window.fromMs, window.toMs));
  const deploys = ctx.cmdb.changes.filter((c) => c.kind === 'deploy' && c.target === service);
  const deployBefore = (ts: number) =>
    deploys.filter((d) => d.ts <= ts && d.ts >= Math.min(baseline.fromMs, ts - 3 * 3_600_000)).pop();
  const classify = (c: { id: string; template: string; sample: string; firstMs: number; level?: LogLevel }) => {
    const text = `${c.template} ${c.sample}`;
    const callTarget = topTarget(targets.get(c.id));
    return classifyLogText({ text, service, topo, callTarget, afterDeploy: !!deployBefore(c.firstMs), level: c.level });
  };
  const out: Finding[] = [];

  const templateFinding = (c: TemplateChange, kind: 'new' | 'surge'): Finding => {
    const cls = classify(c);
    const w = LEVEL_WEIGHT[c.level];
    const tpl = truncate(c.template, 90);
    const score =
      kind === 'new'
        ? w * saturate(c.recentCount, 5) * (cls.hints.length ? 1 : 0.85)
        : w * saturate(Math.log2(c.ratio), 3) * (0.5 + 0.5 * saturate(c.recentCount, 10)) * (cls.hints.length ? 1 : 0.85);
    const onsetMs = kind === 'new' ? c.firstMs : countOnset(new Map(miner.buckets(c.id)), ctx, c.firstMs);
    const evidence =
      kind === 'new'
        ? [`"${tpl}" ×${c.recentCount} since ${hhmm(c.firstMs)} (${c.level}), none in the baseline`]
        : [`"${tpl}" ${fmtNum(c.baselineRate)}/min → ${fmtNum(c.recentRate)}/min (×${fmtNum(c.ratio)}) from ${hhmm(onsetMs)}`];
    evidence.push(`e.g. ${truncate(c.sample, 160)}`);
    const tgt = targets.get(c.id);
    if (tgt && tgt.size) {
      const top = topTarget(tgt)!;
      evidence.push(`names ${top} in ${tgt.get(top)} of ${c.recentCount} lines`);
    }
    const dep = deployBefore(c.firstMs);
    if (dep && cls.hints.includes('bad_deploy')) evidence.push(`first seen after deploy ${dep.id} at ${hhmm(dep.ts)}${dep.to ? ` (→ ${dep.to})` : ''}`);
    return {
      id: `logs:${service}:${kind}:${c.id}`,
      expert: 'logs',
      component: cls.component,
      signal: c.id,
      anomaly: kind === 'new' ? 'new_template' : 'template_surge',
      summary:
        kind === 'new'
          ? `New ${c.level} log pattern in ${service}: "${truncate(c.template, 80)}"`
          : `${c.level} log pattern surging ×${fmtNum(c.ratio)} in ${service}: "${truncate(c.template, 80)}"`,
      evidence,
      score,
      onsetMs,
      direction: 'up',
      faultHints: cls.hints,
    };
  };
  for (const c of cmp.newTemplates.slice(0, 10)) out.push(templateFinding(c, 'new'));
  for (const c of cmp.surges.slice(0, 10)) out.push(templateFinding(c, 'surge'));

  for (const b of cmp.errorBursts) {
    const onsetMs = countOnset(levelPerMin.get(b.level) ?? new Map(), ctx, window.fromMs);
    out.push(burstFinding(b, service, cmp, classify, miner, onsetMs));
  }
  return out;
}

/**
 * Onset of a rise in per-minute counts: the metric detector on the zero-filled count series (sustained k-of-n rule),
 * else the first minute of the window with a count clearly above the baseline rate.
 */
function countOnset(perMin: Map<number, number>, ctx: ExpertContext, fallback: number): number {
  const { baseline, window } = ctx;
  const from = Math.floor(Math.min(baseline.fromMs, window.fromMs) / 60_000) * 60_000;
  const pts: MetricPoint[] = [];
  for (let t = from; t < window.toMs; t += 60_000) pts.push({ ts: t, value: perMin.get(t) ?? 0 });
  const a = detectAnomaly(pts, baseline, window, { direction: 'up', minScale: 1, relFloor: 0, minRelChange: 0, minAbsChange: 1 });
  if (a) return Math.max(a.onsetMs, window.fromMs);
  const base = pts.filter((p) => p.ts >= baseline.fromMs && p.ts < baseline.toMs);
  const rate = base.reduce((x, p) => x + p.value, 0) / Math.max(1, base.length);
  const hit = pts.find((p) => p.ts >= window.fromMs && p.value >= Math.max(2, 3 * rate + 1));
  return hit ? hit.ts : fallback;
}

function burstFinding(
  b: LevelBurst,
  service: string,
  cmp: ReturnType<typeof compareTemplates>,
  classify: (c: { id: string; template: string; sample: string; firstMs: number; level?: LogLevel }) => LogClassification,
  miner: TemplateMiner,
  onsetMs: number,
): Finding {
  const top = b.topTemplates[0];
  const info = top ? miner.get(top.id) : undefined;
  const cls =
    top && info
      ? classify({ id: top.id, template: top.template, sample: info.lastSample, firstMs: info.firstMs, level: b.level })
      : { hints: [], component: service };
  const isNew = top ? cmp.newTemplates.some((t) => t.id === top.id) : false;
  const rates =
    b.baselineCount === 0
      ? `none in the baseline → ${fmtNum(b.recentRate)}/min`
      : `${fmtNum(b.baselineRate)}/min → ${fmtNum(b.recentRate)}/min (×${fmtNum(b.ratio)})`;
  const evidence = [`${b.level} lines ${rates} from ${hhmm(onsetMs)}`];
  for (const t of b.topTemplates.slice(0, 2)) evidence.push(`×${t.count} "${truncate(t.template, 90)}"`);
  return {
    id: `logs:${service}:burst:${b.level}`,
    expert: 'logs',
    component: cls.hints.length ? cls.component : service,
    signal: `level:${b.level}`,
    anomaly: 'error_burst',
    summary: `${b.level} burst in ${service} logs: ${b.recentCount} lines (${b.baselineCount ? `×${fmtNum(b.ratio)} the baseline rate` : 'none in the baseline'})${isNew ? ', mostly a new pattern' : ''}`,
    evidence,
    score: LEVEL_WEIGHT[b.level] * saturate(Math.log2(b.ratio), 2.5) * saturate(b.recentCount, 15),
    onsetMs,
    direction: 'up',
    faultHints: cls.hints,
  };
}
