import type { Config, SourcesConfig } from '../config.js';
import { createCmdbSource } from './cmdb/index.js';
import { type CombinedConnectors, combineConnectors, type NamedSources } from './combined.js';
import { createJaegerTraceSource } from './jaeger/index.js';
import { createLokiLogSource } from './loki/index.js';
import type { OtlpStore } from './otlp/store.js';
import { PrometheusTopology } from './prometheus/topology.js';
import { prometheusSourceFromSettings } from './prometheus/connectors.js';
import { createTempoTraceSource } from './tempo/index.js';
import { TraceTopology } from './trace-topology.js';
import type { CmdbSource, LogSource, MetricsSource, TraceSource } from './types.js';

/**
 * The registry of real telemetry sources: one line per kind, each saying what configures it and what signals it
 * gives. The runtime combines every configured one per signal (combineConnectors); the scenario world is the source
 * used when none is. A curated CMDB is listed before discovered topology, so it describes the services it knows.
 */
export type Signal = 'metrics' | 'logs' | 'traces' | 'cmdb';
export const SIGNALS: readonly Signal[] = ['metrics', 'logs', 'traces', 'cmdb'];

export interface LiveSource {
  /** e.g. "prometheus http://prom:9090" — how reports and doctor name it */
  name: string;
  metrics?: MetricsSource;
  logs?: LogSource;
  traces?: TraceSource;
  cmdb?: CmdbSource;
  /** whether it holds any data of a signal, for sources that can tell cheaply (the OTLP receiver before any export) */
  holds?(signal: Signal): boolean;
}

export interface SourceContext {
  settings: SourcesConfig;
  /** the OTLP receiver's store, when serve receives OTLP */
  otlp: OtlpStore | null;
  now(): number;
}

export interface SourceKind {
  kind: string;
  /** what turns it on, for doctor and the docs */
  enabledBy: string;
  /** the source, or null when it is not configured */
  create(ctx: SourceContext): LiveSource | null;
}

/** A trace source and the CMDB discovered from its spans (services, calls, deploys). */
function withTopology(name: string, traces: TraceSource, now: () => number): LiveSource {
  return { name, traces, cmdb: new TraceTopology(traces, now) };
}

export const SOURCE_KINDS: readonly SourceKind[] = [
  {
    kind: 'cmdb',
    enabledBy: 'SRE_COPILOT_CMDB',
    create: ({ settings }) => (settings.cmdb ? { name: `cmdb ${settings.cmdb}`, cmdb: createCmdbSource({ location: settings.cmdb }) } : null),
  },
  {
    kind: 'prometheus',
    enabledBy: 'PROMETHEUS_URL (or prometheus.url in SRE_COPILOT_CONFIG)',
    create: ({ settings }) => {
      const metrics = prometheusSourceFromSettings(settings);
      return metrics ? { name: `prometheus ${metrics.client.options.url}`, metrics, cmdb: new PrometheusTopology(metrics) } : null;
    },
  },
  {
    kind: 'loki',
    enabledBy: 'LOKI_URL',
    create: ({ settings }) =>
      settings.lokiUrl
        ? { name: `loki ${settings.lokiUrl}`, logs: createLokiLogSource({ url: settings.lokiUrl, ...settings.lokiAuth, ...(settings.lokiServiceLabels ? { serviceLabels: settings.lokiServiceLabels } : {}) }) }
        : null,
  },
  {
    kind: 'jaeger',
    enabledBy: 'JAEGER_URL',
    create: ({ settings, now }) => (settings.jaegerUrl ? withTopology(`jaeger ${settings.jaegerUrl}`, createJaegerTraceSource({ url: settings.jaegerUrl, ...settings.jaegerAuth }), now) : null),
  },
  {
    kind: 'tempo',
    enabledBy: 'TEMPO_URL',
    create: ({ settings, now }) => (settings.tempoUrl ? withTopology(`tempo ${settings.tempoUrl}`, createTempoTraceSource({ url: settings.tempoUrl, ...settings.tempoAuth }), now) : null),
  },
  {
    kind: 'otlp',
    enabledBy: 'serve (POST /v1/traces, /v1/logs, /v1/metrics)',
    create: ({ otlp, now }) => {
      if (!otlp) return null;
      const held = { metrics: () => otlp.stats().points, logs: () => otlp.stats().logs, traces: () => otlp.stats().spans, cmdb: () => otlp.stats().spans };
      return { ...withTopology('otlp receiver', otlp.traces, now), metrics: otlp.metrics, logs: otlp.logs, holds: (signal) => held[signal]() > 0 };
    },
  },
];

/** Kinds configured by settings alone (the OTLP receiver counts once it has data: see the runtime). */
export function configuredSourceKinds(settings: SourcesConfig | undefined): string[] {
  if (!settings) return [];
  const probe: SourceContext = { settings, otlp: null, now: Date.now };
  return SOURCE_KINDS.filter((k) => k.kind !== 'otlp' && k.create(probe) !== null).map((k) => k.kind);
}

/** Which data source serve starts on: `world`, `live` (real sources), or `auto` (the world until OTLP data arrives). */
export function dataSourceMode(config: Pick<Config, 'world' | 'sources'>): 'world' | 'live' | 'auto' {
  if (config.world === 'scenario') return 'world';
  if (config.world === 'off' || configuredSourceKinds(config.sources).length > 0) return 'live';
  return 'auto';
}

export interface LiveConnectors extends CombinedConnectors {
  sources: LiveSource[];
  /** which sources give each signal now; an empty list is a signal this deployment does not have (yet) */
  signals(): Record<Signal, string[]>;
}

export function liveConnectors(ctx: SourceContext): LiveConnectors {
  const sources = SOURCE_KINDS.flatMap((k) => {
    const s = k.create(ctx);
    return s ? [s] : [];
  });
  const pick = <K extends Signal>(signal: K) =>
    sources.flatMap((s) => (s[signal] ? [{ name: s.name, source: s[signal] } as NamedSources<NonNullable<LiveSource[K]>>] : []));
  const parts = { metrics: pick('metrics'), logs: pick('logs'), traces: pick('traces'), cmdb: pick('cmdb') };
  const combined = combineConnectors(parts);
  const signals = () =>
    Object.fromEntries(SIGNALS.map((signal) => [signal, sources.filter((s) => s[signal] && (s.holds?.(signal) ?? true)).map((s) => s.name)])) as Record<Signal, string[]>;
  return { ...combined, sources, signals };
}
