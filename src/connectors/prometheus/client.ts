import { z } from 'zod';
import { DataSourceError } from '../types.js';

/**
 * A small client for the Prometheus HTTP API (VictoriaMetrics, Thanos and Mimir answer the same API). Every answer is
 * validated with zod, every request has a timeout, and every answer is bounded: a body larger than maxResponseBytes is
 * abandoned while it streams in, and no more than maxSeries series are kept, so a careless query can never pull an
 * unbounded result into memory (or into an LLM prompt).
 */

export interface PrometheusClientOptions {
  /** base URL, e.g. http://prometheus:9090 (a path prefix such as /prometheus is kept) */
  url: string;
  timeoutMs: number;
  maxSeries: number;
  maxResponseBytes: number;
  fetch?: typeof fetch;
}

const LabelsSchema = z.record(z.string(), z.string());
/** Prometheus encodes sample values as strings ("NaN", "+Inf" included) next to a float timestamp in seconds. */
const SampleSchema = z.tuple([z.number(), z.string()]);

const VectorSchema = z.object({
  resultType: z.literal('vector'),
  result: z.array(z.object({ metric: LabelsSchema, value: SampleSchema })),
});
const MatrixSchema = z.object({
  resultType: z.literal('matrix'),
  result: z.array(z.object({ metric: LabelsSchema, values: z.array(SampleSchema) })),
});
const ScalarSchema = z.object({ resultType: z.enum(['scalar', 'string']), result: SampleSchema });
const QueryDataSchema = z.discriminatedUnion('resultType', [VectorSchema, MatrixSchema, ScalarSchema]);

const EnvelopeSchema = z.object({
  status: z.enum(['success', 'error']),
  data: z.unknown().optional(),
  errorType: z.string().optional(),
  error: z.string().optional(),
  warnings: z.array(z.string()).optional(),
});

export interface PromPoint {
  ts: number;
  value: number;
}
export interface PromSeries {
  labels: Record<string, string>;
  points: PromPoint[];
}
export interface PromResult {
  series: PromSeries[];
  /** how many series the server returned beyond maxSeries (dropped) */
  dropped: number;
  warnings: string[];
}

export class PrometheusClient {
  private readonly base: string;
  private readonly doFetch: typeof fetch;
  constructor(readonly options: PrometheusClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.doFetch = options.fetch ?? fetch;
  }

  /** An instant query at `timeMs` (default: the server's now). */
  async query(promql: string, timeMs?: number): Promise<PromResult> {
    const params: Record<string, string> = { query: promql };
    if (timeMs !== undefined) params['time'] = toSeconds(timeMs);
    return this.toResult(await this.call('/api/v1/query', params, QueryDataSchema));
  }

  /** A range query; start and end inclusive, as Prometheus evaluates them. */
  async queryRange(promql: string, startMs: number, endMs: number, stepMs: number): Promise<PromResult> {
    const params = { query: promql, start: toSeconds(startMs), end: toSeconds(endMs), step: toSeconds(stepMs) };
    return this.toResult(await this.call('/api/v1/query_range', params, QueryDataSchema));
  }

  /** Label sets of the series matching any of the selectors (bounded by maxSeries). */
  async series(matchers: string[], startMs?: number, endMs?: number): Promise<Record<string, string>[]> {
    const params: [string, string][] = matchers.map((m) => ['match[]', m]);
    if (startMs !== undefined) params.push(['start', toSeconds(startMs)]);
    if (endMs !== undefined) params.push(['end', toSeconds(endMs)]);
    const { data } = await this.call('/api/v1/series', params, z.array(LabelsSchema));
    return data.slice(0, this.options.maxSeries);
  }

  async labels(matchers: string[] = []): Promise<string[]> {
    const { data } = await this.call('/api/v1/labels', matchers.map((m): [string, string] => ['match[]', m]), z.array(z.string()));
    return data;
  }

  async labelValues(label: string, matchers: string[] = []): Promise<string[]> {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label)) throw new Error(`not a Prometheus label name: ${JSON.stringify(label)}`);
    const { data } = await this.call(`/api/v1/label/${label}/values`, matchers.map((m): [string, string] => ['match[]', m]), z.array(z.string()));
    return data;
  }

  private toResult(answer: { data: z.infer<typeof QueryDataSchema>; warnings: string[] }): PromResult {
    const { data, warnings } = answer;
    let series: PromSeries[];
    if (data.resultType === 'matrix') {
      series = data.result.map((r) => ({ labels: r.metric, points: r.values.flatMap(toPoint) }));
    } else if (data.resultType === 'vector') {
      series = data.result.map((r) => ({ labels: r.metric, points: toPoint(r.value) }));
    } else {
      series = [{ labels: {}, points: toPoint(data.result) }];
    }
    const max = this.options.maxSeries;
    return { series: series.slice(0, max), dropped: Math.max(0, series.length - max), warnings };
  }

  private async call<T>(
    path: string,
    params: Record<string, string> | [string, string][],
    schema: z.ZodType<T>,
  ): Promise<{ data: T; warnings: string[] }> {
    const url = `${this.base}${path}`;
    const fail = (reason: 'unreadable' | 'invalid', detail: string, cause?: unknown) =>
      new DataSourceError('metrics', url, reason, detail, cause === undefined ? undefined : { cause });
    let res: Response;
    try {
      // POST with a form body: long PromQL never hits URL length limits (the API accepts both).
      res = await this.doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (e) {
      throw fail('unreadable', describeNetworkError(e, this.base, this.options.timeoutMs), e);
    }
    let text: string;
    try {
      text = await readBounded(res, this.options.maxResponseBytes);
    } catch (e) {
      throw fail(e instanceof TooLarge ? 'invalid' : 'unreadable', e instanceof TooLarge ? e.message : describeNetworkError(e, this.base, this.options.timeoutMs), e);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      const what = res.ok ? 'an answer that is not JSON' : `HTTP ${res.status} ${res.statusText}`.trim();
      throw fail(res.ok ? 'invalid' : 'unreadable', `Prometheus at ${this.base} sent ${what}: ${JSON.stringify(text.slice(0, 120))}`);
    }
    const env = EnvelopeSchema.safeParse(json);
    if (!env.success) throw fail('invalid', `Prometheus at ${this.base} sent an answer that is not the Prometheus API format (HTTP ${res.status})`);
    if (env.data.status === 'error' || !res.ok) {
      const reason = res.status >= 500 || res.status === 0 ? 'unreadable' : 'invalid';
      const type = env.data.errorType ? `${env.data.errorType}: ` : '';
      throw fail(reason, `Prometheus refused the request (HTTP ${res.status}): ${type}${env.data.error ?? 'no error message'}`);
    }
    const data = schema.safeParse(env.data.data);
    if (!data.success) {
      const issue = data.error.issues[0];
      throw fail('invalid', `unexpected answer from ${path}: ${issue ? `${issue.path.join('.') || 'data'}: ${issue.message}` : 'bad data'}`);
    }
    return { data: data.data, warnings: env.data.warnings ?? [] };
  }
}

function toPoint([seconds, raw]: [number, string]): PromPoint[] {
  const value = Number(raw);
  // NaN (0/0 when nothing was served) and ±Inf carry no usable value for the detectors
  return Number.isFinite(value) ? [{ ts: Math.round(seconds * 1000), value }] : [];
}

function toSeconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

class TooLarge extends Error {}

/** Reads the body, giving up as soon as it passes `limit` bytes (never buffering more than that). */
async function readBounded(res: Response, limit: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel();
    throw new TooLarge(`the answer is ${declared} bytes, over the ${limit}-byte limit; narrow the query`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new TooLarge(`the answer passed the ${limit}-byte limit; narrow the query`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeNetworkError(e: unknown, base: string, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `Prometheus at ${base} did not answer within ${timeoutMs} ms`;
  const code = err.cause?.code;
  if (code === 'ECONNREFUSED') return `nothing listens at ${base} (connection refused): is Prometheus running there?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host of ${base} does not resolve`;
  return `Prometheus at ${base} could not be reached: ${err.cause?.message ?? err.message ?? String(e)}`;
}
