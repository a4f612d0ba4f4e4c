/**
 * PromQL building, pure: the default mapping from SRE-Copilot's metric vocabulary (docs/telemetry-format.md) to PromQL
 * over OpenTelemetry semantic-convention HTTP metrics, process metrics and node-exporter, the rendering of a template
 * for one query, and the choice of step. Units are converted inside the PromQL, so a series arrives in the unit the
 * experts read (ms, MB, per minute, percent, 0–1 shares).
 */

/** What a series is about: a service (by the service label), a host (node-exporter instance), a call edge, business */
export type EntityKind = 'service' | 'host' | 'edge' | 'business';
export const ENTITY_KINDS: readonly EntityKind[] = ['service', 'host', 'edge', 'business'];

export interface MetricTemplate {
  kind: EntityKind;
  metric: string;
  promql: string;
  unit: string;
}

/**
 * Placeholders a template may use:
 * - `{{service}}`  the service label's name (service_name, service or job; discovered or configured)
 * - `{{match}}`    label matchers selecting the entity asked for (every one of its kind when none is), for use inside
 *                  a selector's braces: `metric{ {{match}} }` or `metric{ {{match}}, code="500" }`
 * - `{{range}}`    the rate window, e.g. `2m` (at least the configured window and twice the step)
 * - `{{step}}`     the step, e.g. `60s` (for `changes()` and counts "per step")
 * Results must keep the label that names the entity: `{{service}}` for services, `instance` for hosts, `{{service}}`
 * and `server_address` for edges; business KPIs are single series.
 */
const SERVER = 'http_server_request_duration_seconds';
const CLIENT = 'http_client_request_duration_seconds';
const FIVE_XX = 'http_response_status_code=~"5.."';
const REAL_FS = 'fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs|autofs|proc|sysfs|fuse\\\\..*"';

function golden(metric: string, by: string): Record<'throughput_rpm' | 'error_rate' | 'latency_p95_ms' | 'latency_mean_ms', string> {
  const count = `sum by (${by}) (rate(${metric}_count{ {{match}} }[{{range}}]))`;
  const errors = `sum by (${by}) (rate(${metric}_count{ {{match}}, ${FIVE_XX} }[{{range}}]))`;
  return {
    throughput_rpm: `${count} * 60`,
    // no 5xx series at all means no errors: 0, not an absent series
    error_rate: `(${errors} or ${count} * 0) / ${count}`,
    latency_p95_ms: `histogram_quantile(0.95, sum by (${by}, le) (rate(${metric}_bucket{ {{match}} }[{{range}}]))) * 1000`,
    // default buckets make quantiles coarse; the mean from _sum/_count is exact and moves with them
    latency_mean_ms: `sum by (${by}) (rate(${metric}_sum{ {{match}} }[{{range}}])) / ${count} * 1000`,
  };
}

function table(kind: EntityKind, entries: Record<string, [promql: string, unit: string]>): MetricTemplate[] {
  return Object.entries(entries).map(([metric, [promql, unit]]) => ({ kind, metric, promql, unit }));
}

const serverGolden = golden(SERVER, '{{service}}');
const clientGolden = golden(CLIENT, '{{service}}, server_address');

export const DEFAULT_TEMPLATES: readonly MetricTemplate[] = [
  ...table('service', {
    throughput_rpm: [serverGolden.throughput_rpm, 'requests per minute'],
    error_rate: [serverGolden.error_rate, 'share of requests answered 5xx, 0–1'],
    latency_p95_ms: [serverGolden.latency_p95_ms, 'ms'],
    latency_mean_ms: [serverGolden.latency_mean_ms, 'ms'],
    cpu_util: ['sum by ({{service}}) (rate(process_cpu_seconds_total{ {{match}} }[{{range}}])) * 100', 'percent of one core'],
    mem_rss_mb: ['sum by ({{service}}) (process_resident_memory_bytes{ {{match}} }) / 1048576', 'MB'],
    restarts: ['sum by ({{service}}) (changes(process_start_time_seconds{ {{match}} }[{{step}}]))', 'restarts per step'],
    up: ['min by ({{service}}) (up{ {{match}} })', '1 scraped, 0 down'],
  }),
  ...table('host', {
    cpu_util: ['100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{ {{match}}, mode="idle" }[{{range}}])))', 'percent'],
    mem_util: ['100 * (1 - node_memory_MemAvailable_bytes{ {{match}} } / node_memory_MemTotal_bytes{ {{match}} })', 'percent'],
    disk_util: [
      `100 * max by (instance) (1 - node_filesystem_avail_bytes{ {{match}}, ${REAL_FS} } / node_filesystem_size_bytes{ {{match}}, ${REAL_FS} })`,
      'percent of the fullest real filesystem',
    ],
    net_retransmits: ['sum by (instance) (rate(node_netstat_Tcp_RetransSegs{ {{match}} }[{{range}}])) * 60', 'TCP retransmits per minute'],
    net_errors: [
      'sum by (instance) (rate(node_network_receive_errs_total{ {{match}} }[{{range}}]) + rate(node_network_transmit_errs_total{ {{match}} }[{{range}}])) * 60',
      'network errors per minute',
    ],
    up: ['min by (instance) (up{ {{match}} })', '1 scraped, 0 down'],
  }),
  ...table('edge', {
    throughput_rpm: [clientGolden.throughput_rpm, 'calls per minute'],
    error_rate: [clientGolden.error_rate, 'share of calls answered 5xx, 0–1'],
    latency_p95_ms: [clientGolden.latency_p95_ms, 'ms, as the caller saw it'],
    latency_mean_ms: [clientGolden.latency_mean_ms, 'ms, as the caller saw it'],
  }),
];

/** The entity a query asks for, as PromQL sees it. Entities of other kinds are answered without a query. */
export type EntityFilter = { kind: EntityKind; name?: string };

/** Which kinds an entity name can be: "a->b" is an edge, "business" the KPIs, anything else a service or a host. */
export function kindsForEntity(entity: string | undefined): EntityKind[] {
  if (entity === undefined) return [...ENTITY_KINDS];
  if (entity === 'business') return ['business'];
  if (entity.includes('->')) return parseEdge(entity) ? ['edge'] : [];
  return ['service', 'host'];
}

export function edgeName(caller: string, callee: string): string {
  return `${caller}->${callee}`;
}

export function parseEdge(entity: string): { caller: string; callee: string } | null {
  const i = entity.indexOf('->');
  if (i <= 0 || i + 2 >= entity.length) return null;
  return { caller: entity.slice(0, i), callee: entity.slice(i + 2) };
}

/** A PromQL string literal (double-quoted, escaped). */
export function promString(s: string): string {
  return JSON.stringify(s);
}

/** RE2 metacharacters escaped, for a literal inside `=~`. */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Label matchers selecting `name` of `kind` (or every entity of the kind that has the label). */
export function matchers(kind: EntityKind, serviceLabel: string, name?: string): string {
  switch (kind) {
    case 'service':
      return name === undefined ? `${serviceLabel}!=""` : `${serviceLabel}=${promString(name)}`;
    case 'host':
      // entity names are instances without their port: a host answers for all its exporters
      return name === undefined ? 'instance!=""' : `instance=~${promString(`${escapeRegex(name)}(:[0-9]+)?`)}`;
    case 'edge': {
      const edge = name === undefined ? null : parseEdge(name);
      return edge
        ? `${serviceLabel}=${promString(edge.caller)}, server_address=${promString(edge.callee)}`
        : `${serviceLabel}!="", server_address!=""`;
    }
    case 'business':
      return '';
  }
}

export interface RenderParams {
  serviceLabel: string;
  entity?: string;
  stepMs: number;
  rateWindowMs: number;
}

/** A template made concrete for one query. Unknown placeholders are an error, so a typo in the config is caught. */
export function renderTemplate(t: Pick<MetricTemplate, 'kind' | 'promql'>, p: RenderParams): string {
  const values: Record<string, string> = {
    service: p.serviceLabel,
    match: matchers(t.kind, p.serviceLabel, p.entity),
    range: duration(Math.max(p.rateWindowMs, 2 * p.stepMs)),
    step: duration(p.stepMs),
  };
  return t.promql.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`unknown placeholder ${whole} in PromQL template ${JSON.stringify(t.promql)}`);
    return v;
  });
}

/** Placeholders in a template that renderTemplate does not know (for config validation). */
export function unknownPlaceholders(promql: string): string[] {
  const known = new Set(['service', 'match', 'range', 'step']);
  return [...promql.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!).filter((n) => !known.has(n));
}

/** A PromQL duration in whole seconds ("90s"); PromQL rejects fractions. */
export function duration(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}

/**
 * The step for a range: at least `minStepMs` (the experts read one point a minute by default), and coarse enough that a
 * series has no more than `maxPoints` points. Whole seconds, so steps align with Prometheus' evaluation.
 */
export function chooseStep(fromMs: number, toMs: number, minStepMs: number, maxPoints: number): number {
  const span = Math.max(0, toMs - fromMs);
  const needed = Math.ceil(span / Math.max(1, maxPoints));
  return Math.max(1000, Math.ceil(Math.max(minStepMs, needed) / 1000) * 1000);
}

/**
 * The evaluation times for the half-open range [fromMs, toMs): the first step multiple at or after fromMs up to the
 * last one before toMs (aligned steps make successive reads agree). Null when no step time falls in the range.
 */
export function alignRange(fromMs: number, toMs: number, stepMs: number): { startMs: number; endMs: number } | null {
  const startMs = Math.ceil(fromMs / stepMs) * stepMs;
  const endMs = Math.ceil(toMs / stepMs) * stepMs - stepMs;
  return endMs >= startMs ? { startMs, endMs } : null;
}

/** The entity a result series belongs to, from its labels; null when the labels do not name one. */
export function entityOf(kind: EntityKind, serviceLabel: string, labels: Record<string, string>): string | null {
  switch (kind) {
    case 'service':
      return labels[serviceLabel] || null;
    case 'host':
      return labels['instance'] ? stripPort(labels['instance']) : null;
    case 'edge': {
      const caller = labels[serviceLabel];
      const callee = labels['server_address'];
      return caller && callee ? edgeName(caller, callee) : null;
    }
    case 'business':
      return 'business';
  }
}

/** "10.0.0.5:9100" → "10.0.0.5", "[::1]:9100" → "::1", "db-1" → "db-1". */
export function stripPort(instance: string): string {
  const v6 = /^\[([^\]]+)\](:\d+)?$/.exec(instance);
  if (v6) return v6[1]!;
  return instance.replace(/:\d+$/, '');
}
