import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createFileConnectors } from '../connectors/files/index.js';
import type { LogRecord } from '../model/telemetry.js';

/**
 * Sends the scenario world's spans and logs to an OTLP/HTTP receiver (serve's /v1/traces and /v1/logs) as OTLP JSON,
 * their timestamps moved by `offsetMs` onto the wall clock: the live demo's stand-in for applications instrumented
 * with an OpenTelemetry SDK. The world already writes its spans as OTLP JSON export requests (traces/spans.jsonl);
 * its logs are text files, parsed by the file connector and sent as OTLP log records.
 */
export interface ReplayOptions {
  worldDir: string;
  /** world time + offsetMs = the time sent */
  offsetMs: number;
  /** world time range replayed, half-open */
  fromMs: number;
  toMs: number;
  /** e.g. http://127.0.0.1:3000 (the paths /v1/traces and /v1/logs are added) */
  otlpUrl: string;
  /** spans per request (the Collector's default batch is 8192) */
  batchSpans?: number;
}

interface OtlpJsonSpan {
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  [key: string]: unknown;
}
interface OtlpJsonRequest {
  resourceSpans: { resource?: unknown; scopeSpans: { scope?: unknown; spans: OtlpJsonSpan[] }[] }[];
}

const NANOS_PER_MS = 1_000_000n;

export async function replayWorldTelemetry(opts: ReplayOptions): Promise<{ spans: number; logs: number }> {
  const spans = await replaySpans(opts);
  const logs = await replayLogs(opts);
  return { spans, logs };
}

async function replaySpans(opts: ReplayOptions): Promise<number> {
  const shift = BigInt(opts.offsetMs) * NANOS_PER_MS;
  const [from, to] = [BigInt(opts.fromMs) * NANOS_PER_MS, BigInt(opts.toMs) * NANOS_PER_MS];
  const limit = opts.batchSpans ?? 4096;
  let batch: OtlpJsonRequest['resourceSpans'] = [];
  let inBatch = 0;
  let sent = 0;
  const flush = async () => {
    if (inBatch === 0) return;
    await post(`${opts.otlpUrl}/v1/traces`, { resourceSpans: batch });
    sent += inBatch;
    batch = [];
    inBatch = 0;
  };
  const lines = createInterface({ input: createReadStream(path.join(opts.worldDir, 'traces', 'spans.jsonl')), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const request = JSON.parse(line) as OtlpJsonRequest;
    for (const rs of request.resourceSpans) {
      const scopeSpans = rs.scopeSpans
        .map((ss) => ({
          ...ss,
          spans: ss.spans
            .filter((s) => BigInt(s.startTimeUnixNano) >= from && BigInt(s.startTimeUnixNano) < to)
            .map((s) => ({ ...s, startTimeUnixNano: String(BigInt(s.startTimeUnixNano) + shift), endTimeUnixNano: String(BigInt(s.endTimeUnixNano) + shift) })),
        }))
        .filter((ss) => ss.spans.length > 0);
      if (scopeSpans.length === 0) continue;
      batch.push({ ...rs, scopeSpans });
      inBatch += scopeSpans.reduce((n, ss) => n + ss.spans.length, 0);
    }
    if (inBatch >= limit) await flush();
  }
  await flush();
  return sent;
}

const SEVERITY: Record<LogRecord['level'], number> = { DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 };

async function replayLogs(opts: ReplayOptions): Promise<number> {
  const records = await createFileConnectors(opts.worldDir).logs.read({ fromMs: opts.fromMs, toMs: opts.toMs });
  const byService = new Map<string, LogRecord[]>();
  for (const r of records) (byService.get(r.service) ?? byService.set(r.service, []).get(r.service)!).push(r);
  const nanos = (ms: number) => String(BigInt(Math.round(ms + opts.offsetMs)) * NANOS_PER_MS);
  for (const [service, list] of byService) {
    for (let i = 0; i < list.length; i += 2000) {
      const chunk = list.slice(i, i + 2000);
      await post(`${opts.otlpUrl}/v1/logs`, {
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
            scopeLogs: [
              {
                scope: { name: 'sre-copilot.live-demo' },
                logRecords: chunk.map((r) => ({
                  timeUnixNano: nanos(r.ts),
                  severityNumber: SEVERITY[r.level],
                  severityText: r.level,
                  body: { stringValue: r.message },
                  ...(r.traceId ? { traceId: r.traceId } : {}),
                  ...(r.host ? { attributes: [{ key: 'host.name', value: { stringValue: r.host } }] } : {}),
                })),
              },
            ],
          },
        ],
      });
    }
  }
  return records.length;
}

async function post(url: string, body: unknown): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    if (res.ok) return;
    // the receiver says 503 while serve starts: retry as an OTLP exporter would
    if (res.status === 503 && attempt < 20) {
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    throw new Error(`${url} answered ${res.status}: ${text.slice(0, 200)}`);
  }
}
