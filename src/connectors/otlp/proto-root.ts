import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/**
 * The OTLP protobuf messages, read by protobufjs from the official opentelemetry-proto definitions (v1.11.0, vendored
 * verbatim under ./proto, see proto/README.md). The folder is found from the package root rather than from this file:
 * dist/ holds only compiled .ts files, and both src/connectors/otlp and dist/connectors/otlp sit three levels down.
 */
const PROTO_DIR = fileURLToPath(new URL('../../../src/connectors/otlp/proto/', import.meta.url));

const SERVICES = [
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
];

export interface OtlpMessageTypes {
  traceRequest: protobuf.Type;
  traceResponse: protobuf.Type;
  logsRequest: protobuf.Type;
  logsResponse: protobuf.Type;
  metricsRequest: protobuf.Type;
  metricsResponse: protobuf.Type;
  /** google.rpc.Status, the body of OTLP/HTTP error answers */
  status: protobuf.Type;
}

let loaded: OtlpMessageTypes | undefined;

/** Parsed once, on first use; protobufjs then generates the decoder functions for each type. */
export function otlpMessageTypes(): OtlpMessageTypes {
  if (loaded) return loaded;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => PROTO_DIR + target;
  root.loadSync(SERVICES);
  root.resolveAll();
  const collector = 'opentelemetry.proto.collector';
  loaded = {
    traceRequest: root.lookupType(`${collector}.trace.v1.ExportTraceServiceRequest`),
    traceResponse: root.lookupType(`${collector}.trace.v1.ExportTraceServiceResponse`),
    logsRequest: root.lookupType(`${collector}.logs.v1.ExportLogsServiceRequest`),
    logsResponse: root.lookupType(`${collector}.logs.v1.ExportLogsServiceResponse`),
    metricsRequest: root.lookupType(`${collector}.metrics.v1.ExportMetricsServiceRequest`),
    metricsResponse: root.lookupType(`${collector}.metrics.v1.ExportMetricsServiceResponse`),
    status: googleRpcStatus(),
  };
  return loaded;
}

/**
 * google.rpc.Status lives in googleapis, not in opentelemetry-proto; OTLP/HTTP only needs its first two fields
 * (code = 1, message = 2; `details` is left out, which the wire format allows), so it is declared here.
 */
function googleRpcStatus(): protobuf.Type {
  const status = new protobuf.Type('Status').add(new protobuf.Field('code', 1, 'int32')).add(new protobuf.Field('message', 2, 'string'));
  new protobuf.Root().define('google.rpc').add(status);
  return status;
}
