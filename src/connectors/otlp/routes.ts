import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import type { HttpRoute } from '../../server/http.js';
import { type Decoded, decodeLogs, decodeTraces, type OtlpEncoding, OtlpDecodeError } from './decode.js';
import { decodeMetrics } from './metrics.js';
import { otlpMessageTypes } from './proto-root.js';
import { DEFAULT_OTLP_MAX_BODY_BYTES, type OtlpStore } from './store.js';

/**
 * OTLP/HTTP: POST /v1/traces, /v1/logs, /v1/metrics with an Export*ServiceRequest as application/json or
 * application/x-protobuf, optionally gzip- (or deflate-) compressed. Answers as the spec asks: 200 with an
 * Export*ServiceResponse in the request's encoding (carrying partial_success when records were rejected), 400 with a
 * google.rpc.Status on a body that cannot be read, 415 on another content type or encoding. A handler never throws.
 */

export { DEFAULT_OTLP_MAX_BODY_BYTES } from './store.js';

export interface OtlpRouteOptions {
  /** the largest body, compressed and again once decompressed (default 20 MiB) */
  maxBodyBytes?: number;
  log?: (line: string) => void;
}

type Signal = 'traces' | 'logs' | 'metrics';

const RESPONSE = {
  traces: { type: 'traceResponse', rejectedField: 'rejectedSpans' },
  logs: { type: 'logsResponse', rejectedField: 'rejectedLogRecords' },
  metrics: { type: 'metricsResponse', rejectedField: 'rejectedDataPoints' },
} as const;

/** google.rpc.Code */
const INVALID_ARGUMENT = 3;
const INTERNAL = 13;

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export function otlpRoutes(store: OtlpStore, options: OtlpRouteOptions = {}): HttpRoute[] {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_OTLP_MAX_BODY_BYTES;
  const log = options.log ?? (() => undefined);
  const ingest: Record<Signal, (body: Uint8Array, encoding: OtlpEncoding) => Decoded<unknown>> = {
    traces: (body, encoding) => {
      const decoded = decodeTraces(body, encoding);
      store.addSpans(decoded.items);
      return decoded;
    },
    logs: (body, encoding) => {
      const decoded = decodeLogs(body, encoding);
      store.addLogs(decoded.items);
      return decoded;
    },
    metrics: (body, encoding) => {
      const decoded = decodeMetrics(body, encoding, store.cumulative);
      store.addPoints(decoded.items);
      return decoded;
    },
  };
  return (['traces', 'logs', 'metrics'] as const).map((signal) => ({
    method: 'POST' as const,
    path: `/v1/${signal}`,
    maxBodyBytes,
    handle: (request: Request) => handleExport(request, signal, ingest[signal], maxBodyBytes, log),
  }));
}

export async function handleExport(
  request: Request,
  signal: Signal,
  ingest: (body: Uint8Array, encoding: OtlpEncoding) => Decoded<unknown>,
  maxBodyBytes: number,
  log: (line: string) => void,
): Promise<Response> {
  const encoding = encodingOf(request.headers.get('content-type'));
  if (!encoding) {
    return statusResponse('json', 415, INVALID_ARGUMENT, `OTLP/HTTP accepts application/json or application/x-protobuf, not ${request.headers.get('content-type') ?? 'no content type'}`);
  }
  try {
    const body = await readBody(request, maxBodyBytes);
    if (body instanceof Response) return body;
    const decoded = ingest(body, encoding);
    return exportResponse(signal, encoding, decoded);
  } catch (err) {
    if (err instanceof OtlpDecodeError) return statusResponse(encoding, 400, INVALID_ARGUMENT, err.message);
    log(`otlp: ${signal} export failed: ${(err as Error)?.message ?? String(err)}`);
    return statusResponse(encoding, 500, INTERNAL, 'the export could not be stored');
  }
}

function encodingOf(contentType: string | null): OtlpEncoding | undefined {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (media === 'application/json') return 'json';
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  return undefined;
}

/** the body, decompressed; a Response when it cannot be (unknown encoding 415, corrupt or too large 400/413) */
async function readBody(request: Request, maxBytes: number): Promise<Uint8Array | Response> {
  const raw = new Uint8Array(await request.arrayBuffer());
  const contentEncoding = (request.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (contentEncoding === 'identity' || contentEncoding === '') return raw;
  const inflater = contentEncoding === 'gzip' || contentEncoding === 'x-gzip' ? gunzipAsync : contentEncoding === 'deflate' ? inflateAsync : undefined;
  if (!inflater) return statusResponse('json', 415, INVALID_ARGUMENT, `Content-Encoding ${contentEncoding} is not supported; use gzip or none`);
  try {
    return await inflater(raw, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return new Response(`the decompressed body is larger than ${maxBytes} bytes\n`, { status: 413, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    }
    throw new OtlpDecodeError(`the ${contentEncoding} body could not be decompressed: ${(err as Error).message}`);
  }
}

function exportResponse(signal: Signal, encoding: OtlpEncoding, decoded: Decoded<unknown>): Response {
  const { type, rejectedField } = RESPONSE[signal];
  const partial = decoded.rejected > 0 ? { [rejectedField]: decoded.rejected, errorMessage: decoded.rejectReason ?? 'rejected as invalid' } : undefined;
  if (encoding === 'json') {
    // proto3 JSON writes int64 as a decimal string
    const body = partial ? { partialSuccess: { ...partial, [rejectedField]: String(decoded.rejected) } } : {};
    return Response.json(body, { status: 200 });
  }
  const message = otlpMessageTypes()[type];
  const bytes = message.encode(message.fromObject(partial ? { partialSuccess: partial } : {})).finish();
  return new Response(bytes, { status: 200, headers: { 'content-type': 'application/x-protobuf' } });
}

function statusResponse(encoding: OtlpEncoding, httpStatus: number, code: number, message: string): Response {
  if (encoding === 'json') return Response.json({ code, message }, { status: httpStatus });
  const status = otlpMessageTypes().status;
  return new Response(status.encode(status.fromObject({ code, message })).finish(), { status: httpStatus, headers: { 'content-type': 'application/x-protobuf' } });
}
