import type { Connectors } from '../types.js';
import { FileCmdbSource } from './cmdb.js';
import { FileLogSource } from './logs.js';
import { FileMetricsSource } from './metrics.js';
import { FileTraceSource } from './traces.js';

export { FileCmdbSource, parseCmdbYaml } from './cmdb.js';
export { FileLogSource, detectLogFormat, parseLogLine, parseLogText, normalizeLevel, type LogFormat } from './logs.js';
export { FileMetricsSource, parseMetricsCsv } from './metrics.js';
export { FileTraceSource, otlpToSpans, parseSpansJsonl, OtlpExportSchema } from './traces.js';

/** Connectors over a telemetry folder (docs/telemetry-format.md). Nothing is read until a source is queried. */
export function createFileConnectors(dir: string): Connectors {
  return {
    metrics: new FileMetricsSource(dir),
    logs: new FileLogSource(dir),
    traces: new FileTraceSource(dir),
    cmdb: new FileCmdbSource(dir),
  };
}
