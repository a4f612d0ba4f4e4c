import { context, ROOT_CONTEXT, SeverityNumber, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpStore, otlpRoutes } from '../src/connectors/otlp/index.js';
import { createHttpServer, type HttpServer } from '../src/server/http.js';

/**
 * Spans and logs made by the real OpenTelemetry JS SDK and sent by its own OTLP/HTTP exporters (JSON, protobuf with
 * gzip) to the receiver served on a loopback port: the SDK's encoders, not ours, produce the bytes.
 */

let server: HttpServer;
const store = new OtlpStore();
const serverLog: string[] = [];
/** path, content type and encoding of each request, to show which encodings the exporters really used */
const received: string[] = [];

beforeAll(async () => {
  const routes = otlpRoutes(store, { log: (l) => serverLog.push(l) }).map((r) => ({
    ...r,
    handle: (request: Request) => {
      received.push(`${r.path} ${request.headers.get('content-type')} ${request.headers.get('content-encoding') ?? 'identity'}`);
      return r.handle(request);
    },
  }));
  server = await createHttpServer({ port: 0, host: '127.0.0.1', version: 'test', routes, log: (l) => serverLog.push(l) });
});
afterAll(async () => {
  await server?.close(100);
});

function tracerProvider(service: string, exporter: SpanExporter): TracerProvider {
  return new TracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
}

describe('OTLP/HTTP receiver with the OpenTelemetry JS SDK', () => {
  it('stores spans from the JSON and the protobuf exporter with services, parents, errors, and the call edge', async () => {
    // frontend exports OTLP/JSON, checkout OTLP/protobuf gzip-compressed: one trace across both encodings
    const frontend = tracerProvider('frontend', new JsonTraceExporter({ url: `${server.url}/v1/traces` }));
    const checkout = tracerProvider('checkout', new ProtoTraceExporter({ url: `${server.url}/v1/traces`, compression: 'gzip' as CompressionAlgorithm }));
    const frontendTracer = frontend.getTracer('frontend-http');
    const checkoutTracer = checkout.getTracer('checkout-http');

    const root = frontendTracer.startSpan('GET /cart', { kind: SpanKind.SERVER, attributes: { 'http.route': '/cart' } });
    const call = frontendTracer.startSpan('POST /checkout', { kind: SpanKind.CLIENT, attributes: { 'server.address': 'checkout.internal', 'http.response.status_code': 500 } }, trace.setSpan(ROOT_CONTEXT, root));
    // what W3C trace-context propagation would hand the callee: the caller's client span as a remote parent
    const remoteParent = trace.setSpanContext(ROOT_CONTEXT, { ...call.spanContext(), isRemote: true });
    const handler = checkoutTracer.startSpan('POST /checkout', { kind: SpanKind.SERVER }, remoteParent);
    const query = checkoutTracer.startSpan('SELECT orders', { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql' } }, trace.setSpan(context.active(), handler));
    query.end();
    handler.setStatus({ code: SpanStatusCode.ERROR, message: 'payment declined' });
    handler.end();
    call.setStatus({ code: SpanStatusCode.ERROR });
    call.end();
    root.end();
    await Promise.all([frontend.forceFlush(), checkout.forceFlush()]);
    await Promise.all([frontend.shutdown(), checkout.shutdown()]);

    const traceId = root.spanContext().traceId;
    const spans = store.spans({ fromMs: 0, toMs: Date.now() + 60_000 }).filter((s) => s.traceId === traceId);
    expect(spans).toHaveLength(4);
    const byName = (service: string, name: string) => spans.find((s) => s.service === service && s.name === name);
    expect(byName('frontend', 'GET /cart')).toMatchObject({ kind: 'SERVER', status: 'UNSET', attributes: { 'http.route': '/cart' } });
    expect(byName('frontend', 'GET /cart')?.parentSpanId).toBeUndefined();
    expect(byName('frontend', 'POST /checkout')).toMatchObject({ kind: 'CLIENT', status: 'ERROR', parentSpanId: root.spanContext().spanId, attributes: { 'http.response.status_code': 500 } });
    expect(byName('checkout', 'POST /checkout')).toMatchObject({
      kind: 'SERVER',
      status: 'ERROR',
      spanId: handler.spanContext().spanId,
      parentSpanId: call.spanContext().spanId,
      attributes: { 'otel.status_description': 'payment declined' },
    });
    expect(byName('checkout', 'SELECT orders')).toMatchObject({ kind: 'CLIENT', parentSpanId: handler.spanContext().spanId });
    for (const s of spans) expect(s.endMs).toBeGreaterThanOrEqual(s.startMs);

    const edges = store.callGraph({ fromMs: 0, toMs: Date.now() + 60_000 });
    expect(edges.map((e) => `${e.caller}->${e.callee}`)).toEqual(['checkout->postgresql', 'frontend->checkout']);
    expect(edges.find((e) => e.callee === 'checkout')).toMatchObject({ calls: 1, errors: 1, errorRatio: 1, source: 'spans' });
    expect(new Set(received)).toEqual(new Set(['/v1/traces application/json identity', '/v1/traces application/x-protobuf gzip']));
    expect(serverLog).toEqual([]);
  });

  it('stores log records from the OTLP/HTTP log exporter with level, service and trace id', async () => {
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'payment', 'host.name': 'pay-1' }),
      processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${server.url}/v1/logs` }) })],
    });
    const logger = provider.getLogger('payment-logger');
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const withSpan = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: '00f067aa0ba902b7', traceFlags: 1 });
    logger.emit({ severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: 'card authorisation failed', context: withSpan });
    logger.emit({ severityNumber: SeverityNumber.INFO, body: 'order 42 paid' });
    await provider.forceFlush();
    await provider.shutdown();

    const logs = await store.logs.read({ fromMs: 0, toMs: Date.now() + 60_000, service: 'payment' });
    expect(logs.map((r) => [r.level, r.message])).toEqual(
      expect.arrayContaining([
        ['ERROR', 'card authorisation failed'],
        ['INFO', 'order 42 paid'],
      ]),
    );
    expect(logs.find((r) => r.level === 'ERROR')).toMatchObject({ host: 'pay-1', traceId });
    expect(await store.logs.services?.()).toContain('payment');
    expect(received.filter((r) => r.startsWith('/v1/logs'))).toContain('/v1/logs application/json identity');
  });
});
