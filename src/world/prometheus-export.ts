/**
 * The scenario world's metrics as a Prometheus would hold them: OpenMetrics text with timestamps, shaped like what real
 * exporters expose — OpenTelemetry HTTP server histograms and process metrics per service, node-exporter series per
 * host, plain gauges for the rest — so that PrometheusMetricsSource, with the templates of prometheus-templates.ts,
 * reads the world back in its own vocabulary. Used to backfill a Prometheus TSDB (bench scenarios via=prometheus).
 *
 * What a real Prometheus changes, and this export keeps: counters are read with rate() over the connector's window
 * (at least two steps), so throughput, error rate, p95 and CPU arrive as two-minute figures, not the world's
 * one-minute ones; gauges (memory, disk, pool, KPIs) arrive exactly.
 */
import type { Cmdb, MetricSeries } from '../model/telemetry.js';
import { FileCmdbSource, FileMetricsSource } from '../connectors/files/index.js';
import { LATENCY_BUCKETS_S, medianForP95, minuteHistogram } from './prometheus-histogram.js';
import { GAUGE_PREFIX, gaugesFor, type WorldGauge } from './prometheus-templates.js';

export type OmType = 'counter' | 'gauge' | 'histogram' | 'unknown';
export interface OmSample {
  /** appended to the family name: '', '_total', '_bucket', '_count', '_sum' */
  suffix: string;
  le?: string;
  value: number;
}
/** One MetricPoint: every sample of one labelled metric at one time (a histogram's buckets, count and sum together) */
export interface OmPoint {
  tsMs: number;
  samples: OmSample[];
}
export interface OmMetric {
  labels: Record<string, string>;
  points: OmPoint[];
}
export interface OmFamily {
  name: string;
  type: OmType;
  help: string;
  metrics: OmMetric[];
}

/** the port OpenTelemetry's Prometheus exporter listens on: services' `instance` is host:9464 */
const OTEL_PORT = 9464;
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const SERVER = 'http_server_request_duration_seconds';
/** service metrics the OpenTelemetry conventions carry; everything else becomes a gauge */
const SERVICE_COVERED = new Set(['throughput_rpm', 'error_rate', 'latency_p95_ms', 'cpu_util', 'mem_rss_mb', 'restarts']);
const HOST_COVERED = new Set(['cpu_util', 'mem_util', 'disk_util', 'net_retransmits']);

/** The world's metrics and CMDB, read through the file connector like any other consumer of its folder. */
export async function readWorldMetrics(dir: string): Promise<{ series: MetricSeries[]; cmdb: Cmdb }> {
  const [series, cmdb] = await Promise.all([
    new FileMetricsSource(dir).query({ fromMs: 0, toMs: Number.MAX_SAFE_INTEGER }),
    new FileCmdbSource(dir).snapshot(),
  ]);
  return { series, cmdb };
}

type Kind = 'service' | 'host' | 'edge' | 'business';

/** Which kind of entity a metrics.csv entity is: CMDB hosts are hosts, "a->b" edges, "business" KPIs, the rest services. */
export function entityKind(entity: string, hosts: ReadonlySet<string>): Kind {
  if (entity === 'business') return 'business';
  if (entity.includes('->')) return 'edge';
  return hosts.has(entity) ? 'host' : 'service';
}

/** The metric families for a world's series (one point per metrics.csv row time, counters cumulated from its start). */
export function buildFamilies(series: readonly MetricSeries[], cmdb: Cmdb): OmFamily[] {
  const hosts = new Set(cmdb.hosts.map((h) => h.name));
  const byEntity = new Map<string, Map<string, Map<number, number>>>();
  for (const s of series) {
    let m = byEntity.get(s.entity);
    if (!m) byEntity.set(s.entity, (m = new Map()));
    m.set(s.metric, new Map(s.points.map((p) => [p.ts, p.value])));
  }
  const fam = new Map<string, OmFamily>();
  const family = (name: string, type: OmType, help: string): OmFamily => {
    let f = fam.get(name);
    if (!f) fam.set(name, (f = { name, type, help, metrics: [] }));
    return f;
  };
  const times = (m: Map<number, number> | undefined) => [...(m?.keys() ?? [])].sort((a, b) => a - b);

  for (const [entity, metrics] of [...byEntity].sort(([a], [b]) => a.localeCompare(b))) {
    const kind = entityKind(entity, hosts);
    if (kind === 'service') {
      const svc = cmdb.services.find((s) => s.name === entity);
      const instance = `${svc?.hosts[0] ?? entity}:${OTEL_PORT}`;
      const labels = { service_name: entity, instance };
      const thr = metrics.get('throughput_rpm');
      if (thr) family(SERVER, 'histogram', 'Duration of HTTP server requests.').metrics.push(...serverHistogram(labels, thr, metrics.get('error_rate'), metrics.get('latency_p95_ms')));
      const cpu = metrics.get('cpu_util');
      if (cpu) {
        // cpu_util is percent of the service's quota: one core's worth of CPU seconds per second at 100 %
        let total = 0;
        const points = times(cpu).map((ts) => ({ tsMs: ts, samples: [{ suffix: '_total', value: round6((total += (cpu.get(ts)! / 100) * 60)) }] }));
        family('process_cpu_seconds', 'counter', 'Total user and system CPU time spent in seconds.').metrics.push({ labels, points });
      }
      const rss = metrics.get('mem_rss_mb');
      if (rss) {
        const points = times(rss).map((ts) => ({ tsMs: ts, samples: [{ suffix: '', value: Math.round(rss.get(ts)! * MIB) }] }));
        family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.').metrics.push({ labels, points });
      }
      const restarts = metrics.get('restarts');
      const lifeline = times(restarts ?? cpu ?? rss);
      if (lifeline.length) family('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.').metrics.push({ labels, points: startTimes(lifeline, restarts) });
      for (const [metric, values] of metrics) if (!SERVICE_COVERED.has(metric)) gaugeOf(family, metric, { service_name: entity }, values);
    } else if (kind === 'host') {
      const host = cmdb.hosts.find((h) => h.name === entity)!;
      const labels = { instance: entity, job: 'node' };
      const cpu = metrics.get('cpu_util');
      if (cpu) family('node_cpu_seconds', 'counter', 'Seconds the CPUs spent in each mode.').metrics.push(...nodeCpu(labels, Math.max(1, Math.round(host.cpus)), cpu));
      const mem = metrics.get('mem_util');
      if (mem) {
        const total = Math.round(host.memoryGb * GIB);
        const avail = times(mem).map((ts) => ({ tsMs: ts, samples: [{ suffix: '', value: Math.round(total * (1 - mem.get(ts)! / 100)) }] }));
        family('node_memory_MemTotal_bytes', 'gauge', 'Memory information field MemTotal_bytes.').metrics.push({ labels, points: avail.map((p) => ({ tsMs: p.tsMs, samples: [{ suffix: '', value: total }] })) });
        family('node_memory_MemAvailable_bytes', 'gauge', 'Memory information field MemAvailable_bytes.').metrics.push({ labels, points: avail });
      }
      const disk = metrics.get('disk_util');
      if (disk) {
        const size = Math.round(host.diskGb * GIB);
        const fs = { ...labels, device: '/dev/vda1', fstype: 'ext4', mountpoint: '/' };
        const avail = times(disk).map((ts) => ({ tsMs: ts, samples: [{ suffix: '', value: Math.round(size * (1 - disk.get(ts)! / 100)) }] }));
        family('node_filesystem_size_bytes', 'gauge', 'Filesystem size in bytes.').metrics.push({ labels: fs, points: avail.map((p) => ({ tsMs: p.tsMs, samples: [{ suffix: '', value: size }] })) });
        family('node_filesystem_avail_bytes', 'gauge', 'Filesystem space available to non-root users in bytes.').metrics.push({ labels: fs, points: avail });
      }
      const retrans = metrics.get('net_retransmits');
      if (retrans) {
        // node-exporter exposes netstat counters untyped, cumulative since boot
        let total = 0;
        const points = times(retrans).map((ts) => ({ tsMs: ts, samples: [{ suffix: '', value: (total += retrans.get(ts)!) }] }));
        family('node_netstat_Tcp_RetransSegs', 'unknown', 'Statistic TcpRetransSegs.').metrics.push({ labels, points });
      }
      for (const [metric, values] of metrics) if (!HOST_COVERED.has(metric)) gaugeOf(family, metric, labels, values);
    } else if (kind === 'edge') {
      const i = entity.indexOf('->');
      for (const [metric, values] of metrics) gaugeOf(family, `edge_${metric}`, { service_name: entity.slice(0, i), server_address: entity.slice(i + 2) }, values);
    } else {
      for (const [metric, values] of metrics) gaugeOf(family, metric, {}, values);
    }
  }
  return [...fam.values()];
}

function gaugeOf(family: (name: string, type: OmType, help: string) => OmFamily, metric: string, labels: Record<string, string>, values: Map<number, number>): void {
  const points = [...values].sort(([a], [b]) => a - b).map(([tsMs, value]) => ({ tsMs, samples: [{ suffix: '', value }] }));
  family(`${GAUGE_PREFIX}${metric}`, 'gauge', `The scenario world's ${metric}.`).metrics.push({ labels, points });
}

/**
 * The OpenTelemetry server histogram of one service: per minute, its requests (errors labelled 500, the rest 200) with
 * a latency distribution whose p95 is the world's. The 500 series appears with the first error, as an SDK creates it.
 */
function serverHistogram(labels: Record<string, string>, thr: Map<number, number>, err: Map<number, number> | undefined, p95: Map<number, number> | undefined): OmMetric[] {
  const width = LATENCY_BUCKETS_S.length + 1;
  const acc = { '200': { cum: new Array<number>(width).fill(0), sum: 0, points: [] as OmPoint[] }, '500': { cum: new Array<number>(width).fill(0), sum: 0, points: [] as OmPoint[] } };
  let erroring = false;
  for (const ts of [...thr.keys()].sort((a, b) => a - b)) {
    const n = Math.max(0, Math.round(thr.get(ts)!));
    const errors = Math.min(n, Math.round((err?.get(ts) ?? 0) * n));
    const p95Ms = p95?.get(ts) ?? 0;
    const median = p95Ms > 0 ? medianForP95(p95Ms / 1000) : undefined;
    erroring ||= errors > 0;
    for (const [code, count] of [['200', n - errors], ['500', errors]] as const) {
      if (code === '500' && !erroring) continue;
      const a = acc[code];
      const h = minuteHistogram(count, p95Ms, median);
      h.cumulative.forEach((c, i) => (a.cum[i]! += c));
      a.sum += h.sumS;
      a.points.push({
        tsMs: ts,
        samples: [
          ...a.cum.map((c, i) => ({ suffix: '_bucket', le: i < LATENCY_BUCKETS_S.length ? String(LATENCY_BUCKETS_S[i]) : '+Inf', value: c })),
          { suffix: '_count', value: a.cum[width - 1]! },
          { suffix: '_sum', value: round6(a.sum) },
        ],
      });
    }
  }
  return (['200', '500'] as const).filter((c) => acc[c].points.length).map((c) => ({ labels: { ...labels, http_response_status_code: c }, points: acc[c].points }));
}

/** Idle and user CPU seconds per CPU: every CPU busy at the host's cpu_util. */
function nodeCpu(labels: Record<string, string>, cpus: number, util: Map<number, number>): OmMetric[] {
  const ts = [...util.keys()].sort((a, b) => a - b);
  const out: OmMetric[] = [];
  for (let c = 0; c < cpus; c++) {
    for (const mode of ['idle', 'user'] as const) {
      let total = 0;
      const points = ts.map((t) => {
        const busy = util.get(t)! / 100;
        return { tsMs: t, samples: [{ suffix: '_total', value: round6((total += (mode === 'idle' ? 1 - busy : busy) * 60)) }] };
      });
      out.push({ labels: { ...labels, cpu: String(c), mode }, points });
    }
  }
  return out;
}

/**
 * process_start_time_seconds: a start a day before the history, then a new start for each restart. k restarts in a
 * minute are k points spread over that minute, so changes() over the minute counts k, as it would for a process
 * scraped more often than it restarts.
 */
function startTimes(lifeline: number[], restarts: Map<number, number> | undefined): OmPoint[] {
  let start = Math.floor(lifeline[0]! / 1000) - 86_400;
  const out: OmPoint[] = [];
  for (const ts of lifeline) {
    const k = Math.max(0, Math.round(restarts?.get(ts) ?? 0));
    for (let j = 1; j <= k; j++) {
      const at = ts - 60_000 + Math.round((j * 60_000) / k);
      start = Math.floor(at / 1000) - 1;
      if (j < k) out.push({ tsMs: at, samples: [{ suffix: '', value: start }] });
    }
    out.push({ tsMs: ts, samples: [{ suffix: '', value: start }] });
  }
  return out;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** A label value escaped for the text formats (backslash, double quote, newline). */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function labelText(labels: Record<string, string>, le?: string): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (le !== undefined) parts.push(`le="${le}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/**
 * The series name with labels of a metric's i-th sample, remembered: every point of a metric has the same samples
 * (a histogram's buckets, count and sum), and a world's export has a few hundred thousand lines to write.
 */
export function seriesNames(f: OmFamily, m: OmMetric): (s: OmSample, i: number) => string {
  const known: string[] = [];
  return (s, i) => (known[i] ??= `${f.name}${s.suffix}${labelText(m.labels, s.le)}`);
}

/** A sample value as Prometheus writes it. */
export function valueText(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * OpenMetrics text with a timestamp (seconds) on every sample, each family's metrics together and each metric's points
 * in time order, ending in `# EOF`: the input of `promtool tsdb create-blocks-from openmetrics`.
 */
export function renderOpenMetrics(families: readonly OmFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# TYPE ${f.name} ${f.type}`, `# HELP ${f.name} ${f.help}`);
    for (const m of f.metrics) {
      const names = seriesNames(f, m);
      for (const p of m.points) {
        const ts = String(p.tsMs / 1000);
        p.samples.forEach((s, i) => out.push(`${names(s, i)} ${valueText(s.value)} ${ts}`));
      }
    }
  }
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

/** The gauges (and so the templates, worldPrometheusSection) that the export of these series needs. */
export function worldGaugesOf(series: readonly MetricSeries[], cmdb: Cmdb): WorldGauge[] {
  const hosts = new Set(cmdb.hosts.map((h) => h.name));
  const seen = series.map((s) => ({ kind: entityKind(s.entity, hosts), metric: s.metric }));
  return gaugesFor(seen, (kind, metric) => (kind === 'service' ? SERVICE_COVERED.has(metric) : kind === 'host' ? HOST_COVERED.has(metric) : false));
}

export interface WorldExport {
  text: string;
  families: OmFamily[];
  /** what was exported, as the file connector read it */
  series: MetricSeries[];
  /** the gauges to map back (worldPrometheusSection(gauges)) */
  gauges: WorldGauge[];
}

/** A world's folder as OpenMetrics text (see renderOpenMetrics), with what it was rendered from. */
export async function exportWorldOpenMetrics(dir: string): Promise<WorldExport> {
  const { series, cmdb } = await readWorldMetrics(dir);
  const families = buildFamilies(series, cmdb);
  return { text: renderOpenMetrics(families), families, series, gauges: worldGaugesOf(series, cmdb) };
}
