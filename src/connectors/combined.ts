import type { Cmdb } from '../model/telemetry.js';
import { type CmdbSource, type Connectors, DataSourceError, type LogSource, type MetricsSource, type SourceDiagnostics, type TraceSource } from './types.js';

/**
 * Several sources per signal (Prometheus and the OTLP receiver for metrics, Loki and OTLP for logs, …) read as one.
 * A source that is down costs its own data, not the others': the answer is what the live ones returned, and the
 * failure is kept in `failures()` for the report. Only when every source fails does the read fail, with all reasons.
 */
export interface SourceFailure {
  source: string;
  error: string;
  at: number;
}

export interface NamedSources<S> {
  name: string;
  source: S;
}

class FailureLog {
  private readonly entries = new Map<string, SourceFailure>();
  record(source: string, err: unknown): void {
    this.entries.set(source, { source, error: err instanceof Error ? err.message : String(err), at: Date.now() });
  }
  clear(source: string): void {
    this.entries.delete(source);
  }
  list(): SourceFailure[] {
    return [...this.entries.values()];
  }
}

async function readAll<S, T>(kind: 'metrics' | 'logs' | 'traces' | 'cmdb', sources: NamedSources<S>[], failures: FailureLog, read: (s: S) => Promise<T[]>): Promise<T[]> {
  const results = await Promise.allSettled(sources.map((s) => read(s.source)));
  const out: T[] = [];
  const errors: string[] = [];
  results.forEach((r, i) => {
    const name = sources[i]!.name;
    if (r.status === 'fulfilled') {
      failures.clear(name);
      out.push(...r.value);
    } else {
      failures.record(name, r.reason);
      errors.push(`${name}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
    }
  });
  if (sources.length > 0 && errors.length === sources.length) throw new DataSourceError(kind, sources.map((s) => s.name).join(', '), 'unreadable', errors.join('; '));
  return out;
}

const diagnosticsOf = (sources: NamedSources<{ diagnostics?(): SourceDiagnostics[] }>[]) => sources.flatMap((s) => s.source.diagnostics?.() ?? []);

export interface CombinedConnectors extends Connectors {
  /** sources whose last read failed, newest failure per source */
  failures(): SourceFailure[];
}

export function combineConnectors(parts: { metrics: NamedSources<MetricsSource>[]; logs: NamedSources<LogSource>[]; traces: NamedSources<TraceSource>[]; cmdb: NamedSources<CmdbSource>[] }): CombinedConnectors {
  const failures = new FailureLog();
  const metrics: MetricsSource = {
    query: (q) => readAll('metrics', parts.metrics, failures, (s) => s.query(q)),
    list: async () => {
      const seen = new Map<string, { entity: string; metric: string }>();
      for (const m of await readAll('metrics', parts.metrics, failures, (s) => s.list())) seen.set(`${m.entity}\u0000${m.metric}`, m);
      return [...seen.values()];
    },
    diagnostics: () => diagnosticsOf(parts.metrics),
  };
  const logs: LogSource = {
    read: (q) => readAll('logs', parts.logs, failures, (s) => s.read(q)),
    services: async () => [...new Set(await readAll('logs', parts.logs, failures, async (s) => (s.services ? s.services() : [])))],
    diagnostics: () => diagnosticsOf(parts.logs),
  };
  const traces: TraceSource = {
    spans: (q) => readAll('traces', parts.traces, failures, (s) => s.spans(q)),
    diagnostics: () => diagnosticsOf(parts.traces),
  };
  const cmdb: CmdbSource = {
    snapshot: async () => mergeCmdbs(await readAll('cmdb', parts.cmdb, failures, async (s) => [await s.snapshot()])),
  };
  return { metrics, logs, traces, cmdb, failures: () => failures.list() };
}

/**
 * CMDBs merged by name: the first source that knows a service or host describes it (list the curated CMDB before the
 * topology discovered from traces); dependencies are united, so discovered calls add to the curated graph.
 */
export function mergeCmdbs(cmdbs: Cmdb[]): Cmdb {
  const services = new Map<string, Cmdb['services'][number]>();
  const hosts = new Map<string, Cmdb['hosts'][number]>();
  const changes = new Map<string, Cmdb['changes'][number]>();
  const deployed = new Set<string>();
  for (const c of cmdbs) {
    for (const s of c.services) {
      const known = services.get(s.name);
      services.set(s.name, known ? { ...known, dependsOn: [...new Set([...known.dependsOn, ...s.dependsOn])] } : s);
    }
    for (const h of c.hosts) if (!hosts.has(h.name)) hosts.set(h.name, h);
    for (const ch of c.changes) {
      // a deploy seen in the telemetry (a new service.version) that a curated record already describes is one change
      const same = ch.kind === 'deploy' && ch.to !== undefined ? `deploy\u0000${ch.target}\u0000${ch.to}` : null;
      if (changes.has(ch.id) || (same && deployed.has(same))) continue;
      changes.set(ch.id, ch);
      if (same) deployed.add(same);
    }
  }
  return { services: [...services.values()], hosts: [...hosts.values()], changes: [...changes.values()].sort((a, b) => a.ts - b.ts) };
}
