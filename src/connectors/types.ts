import type { Cmdb, LogRecord, MetricSeries, Span } from '../model/telemetry.js';

/**
 * Connector interfaces: every source of telemetry (files, Prometheus, Loki, an OTLP store, a CMDB API) is read through
 * these, so analytics never care where data comes from. Time ranges are half-open: `fromMs <= ts < toMs`.
 */
export interface MetricsQuery {
  entity?: string;
  metric?: string;
  fromMs: number;
  toMs: number;
}
export interface LogQuery {
  service?: string;
  fromMs: number;
  toMs: number;
}
export interface TraceQuery {
  fromMs: number;
  toMs: number;
  service?: string;
}

/** Per-file parse health: how many records were read and how many malformed lines were skipped. */
export interface SourceDiagnostics {
  path: string;
  records: number;
  skipped: number;
}

export interface MetricsSource {
  query(q: MetricsQuery): Promise<MetricSeries[]>;
  list(): Promise<{ entity: string; metric: string }[]>;
  diagnostics?(): SourceDiagnostics[];
}
export interface LogSource {
  read(q: LogQuery): Promise<LogRecord[]>;
  /** services that have logs, when the source can tell */
  services?(): Promise<string[]>;
  diagnostics?(): SourceDiagnostics[];
}
export interface TraceSource {
  spans(q: TraceQuery): Promise<Span[]>;
  diagnostics?(): SourceDiagnostics[];
}
export interface CmdbSource {
  snapshot(): Promise<Cmdb>;
}

export interface Connectors {
  metrics: MetricsSource;
  logs: LogSource;
  traces: TraceSource;
  cmdb: CmdbSource;
}

export type DataSourceKind = 'metrics' | 'logs' | 'traces' | 'cmdb';
export type DataSourceFailure = 'missing' | 'unreadable' | 'invalid';

/** A source that cannot be read at all (missing / unreadable file, invalid document). Callers catch it by type. */
export class DataSourceError extends Error {
  override readonly name = 'DataSourceError';
  constructor(
    readonly source: DataSourceKind,
    readonly path: string,
    readonly reason: DataSourceFailure,
    detail?: string,
    options?: { cause?: unknown },
  ) {
    super(`${source} source unavailable: ${path} is ${reason}${detail ? ` (${detail})` : ''}`, options);
  }
}

export function isDataSourceError(e: unknown): e is DataSourceError {
  return e instanceof DataSourceError;
}
