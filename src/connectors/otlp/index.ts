/** The OTLP/HTTP receiver: decoding, the bounded store the experts read, the call graph from spans, the routes. */
export { decodeLogs, decodeTraces, OtlpDecodeError, type Decoded, type OtlpEncoding } from './decode.js';
export { decodeMetrics, type MetricPointRecord } from './metrics.js';
export { DEFAULT_OTLP_LIMITS, OtlpStore, type OtlpStoreLimits, type OtlpStoreStats } from './store.js';
export { type CallEdge, topologyFromSpans } from './topology.js';
export { DEFAULT_OTLP_MAX_BODY_BYTES, otlpRoutes, type OtlpRouteOptions } from './routes.js';
