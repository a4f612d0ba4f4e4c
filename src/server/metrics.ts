import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The copilot's Prometheus metrics behind a small typed API.
 *
 * Importing this module costs nothing: prom-client (about 100 ms to load) is imported only by `enableMetrics()` or
 * `createMetricsRegistry()`, which `serve` calls at start-up. Until then `metrics.*` calls are no-ops, so `demo`, `chat`
 * and unit tests never pay for a registry nobody scrapes.
 */

export type InvestigationOutcome = 'diagnosed' | 'inconclusive' | 'failed';
export type ApprovalDecision = 'approved' | 'rejected' | 'refused' | 'expired';
export type ExecutorResult = 'succeeded' | 'failed' | 'skipped' | 'refused';

export interface MetricsRecorder {
  /** an alert arrived (source: alertmanager, grafana, plain-text, …) */
  alertReceived(source: string): void;
  /** an investigation finished, with how long it took */
  investigationFinished(outcome: InvestigationOutcome, durationSeconds: number): void;
  approvalDecided(decision: ApprovalDecision): void;
  /** one executed remediation step's result */
  executorResult(result: ExecutorResult): void;
  /** how many incidents or jobs wait to be worked on now */
  queueDepth(depth: number): void;
  /** one answered HTTP request; `route` is a known route path or "unmatched", never the raw path */
  httpRequest(route: string, status: number): void;
  /** a queue job finished: how long it waited in the queue, how long it ran, and how it ended */
  jobFinished(name: string, waitSeconds: number, runSeconds: number, outcome: 'completed' | 'failed'): void;
}

export interface MetricsRegistry extends MetricsRecorder {
  /** the Content-Type of `render()`'s text (Prometheus text exposition format) */
  readonly contentType: string;
  render(): Promise<string>;
}

const METRIC_PREFIX = 'sre_copilot_';
/** label values come from payloads (alert sources): bound them, so a hostile sender cannot grow the registry */
const MAX_SOURCES = 50;
const LABEL_VALUE = /^[a-z0-9][a-z0-9_.-]{0,39}$/;

/** A registry of its own: default process metrics (unless turned off) and the copilot's metrics. */
export async function createMetricsRegistry(opts: { defaultMetrics?: boolean } = {}): Promise<MetricsRegistry> {
  const prom = await import('prom-client');
  const registry: Registry = new prom.Registry();
  // unprefixed process_* and nodejs_* names, so the usual Node.js dashboards work as they are
  if (opts.defaultMetrics !== false) prom.collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const alerts: Counter<'source'> = new prom.Counter({ name: `${METRIC_PREFIX}alerts_received_total`, help: 'Alerts received, by source', labelNames: ['source'], registers });
  const investigations: Counter<'outcome'> = new prom.Counter({ name: `${METRIC_PREFIX}investigations_total`, help: 'Finished investigations, by outcome', labelNames: ['outcome'], registers });
  const duration: Histogram = new prom.Histogram({
    name: `${METRIC_PREFIX}investigation_duration_seconds`,
    help: 'How long an investigation took, from alert to ranked root cause',
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
    registers,
  });
  const approvals: Counter<'decision'> = new prom.Counter({ name: `${METRIC_PREFIX}approvals_total`, help: 'Decisions on remediation plans', labelNames: ['decision'], registers });
  const executor: Counter<'result'> = new prom.Counter({ name: `${METRIC_PREFIX}executor_results_total`, help: 'Executed remediation steps, by result', labelNames: ['result'], registers });
  const queue: Gauge = new prom.Gauge({ name: `${METRIC_PREFIX}queue_depth`, help: 'Incidents or jobs waiting to be worked on', registers });
  const jobWait: Histogram<'job'> = new prom.Histogram({ name: `${METRIC_PREFIX}job_wait_seconds`, help: 'How long a job waited in the queue before a worker took it', labelNames: ['job'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60], registers });
  const jobRun: Histogram<'job' | 'outcome'> = new prom.Histogram({ name: `${METRIC_PREFIX}job_duration_seconds`, help: 'How long a job ran, by outcome', labelNames: ['job', 'outcome'], buckets: [0.05, 0.25, 1, 2, 5, 10, 30, 60, 120, 300], registers });
  const http: Counter<'route' | 'status'> = new prom.Counter({ name: `${METRIC_PREFIX}http_requests_total`, help: 'Answered HTTP requests, by route and status', labelNames: ['route', 'status'], registers });

  const sources = new Set<string>();
  const sourceLabel = (source: string): string => {
    const value = source.toLowerCase();
    if (!LABEL_VALUE.test(value)) return 'other';
    if (sources.has(value)) return value;
    if (sources.size >= MAX_SOURCES) return 'other';
    sources.add(value);
    return value;
  };

  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    alertReceived: (source) => alerts.inc({ source: sourceLabel(source) }),
    investigationFinished: (outcome, durationSeconds) => {
      investigations.inc({ outcome });
      if (Number.isFinite(durationSeconds) && durationSeconds >= 0) duration.observe(durationSeconds);
    },
    approvalDecided: (decision) => approvals.inc({ decision }),
    executorResult: (result) => executor.inc({ result }),
    queueDepth: (depth) => {
      if (Number.isFinite(depth) && depth >= 0) queue.set(depth);
    },
    httpRequest: (route, status) => http.inc({ route, status: String(status) }),
    jobFinished: (name, waitSeconds, runSeconds, outcome) => {
      // job names are the code's own (investigate, detect-…), never a payload's
      if (waitSeconds >= 0) jobWait.observe({ job: name }, waitSeconds);
      if (runSeconds >= 0) jobRun.observe({ job: name, outcome }, runSeconds);
    },
  };
}

let active: MetricsRegistry | null = null;
let enabling: Promise<MetricsRegistry> | null = null;

/** Turns on the process-wide registry behind `metrics` (idempotent) and returns it, for GET /metrics. */
export function enableMetrics(): Promise<MetricsRegistry> {
  enabling ??= createMetricsRegistry().then((registry) => (active = registry));
  return enabling;
}

/** What the copilot core calls; every call is a no-op until `enableMetrics()` has resolved. */
export const metrics: MetricsRecorder = {
  alertReceived: (source) => active?.alertReceived(source),
  investigationFinished: (outcome, durationSeconds) => active?.investigationFinished(outcome, durationSeconds),
  approvalDecided: (decision) => active?.approvalDecided(decision),
  executorResult: (result) => active?.executorResult(result),
  queueDepth: (depth) => active?.queueDepth(depth),
  httpRequest: (route, status) => active?.httpRequest(route, status),
  jobFinished: (name, waitSeconds, runSeconds, outcome) => active?.jobFinished(name, waitSeconds, runSeconds, outcome),
};
