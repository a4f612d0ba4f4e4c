import type { Connectors } from './connectors/types.js';
import type { LiveConnectors } from './connectors/sources.js';
import type { OtlpStore } from './connectors/otlp/store.js';
import type { Executor } from './remediation/executors/types.js';
import type { DataSourcesNote } from './report/markdown.js';
import type { ScenarioWorld } from './world/types.js';

/**
 * Where the serve runtime reads telemetry from and acts: the scenario world (its files, its simulated clock, its
 * simulated cluster) or the real sources (Prometheus, Loki, Jaeger, Tempo, the OTLP receiver, a CMDB; the wall clock;
 * the configured executor). Everything the copilot is handed delegates to whichever is active, so that `auto` mode
 * can move from the world to real data the moment the OTLP receiver gets some, without rebuilding the copilots.
 */
export interface DataSide {
  mode: 'world' | 'live';
  /** how the start-up banner, `status` and reports name it */
  label: string;
  connectors: Connectors;
  now(): number;
  /** lets time pass before verification: the world simulates it, real time is waited for */
  wait(minutes: number): Promise<void>;
  executor: Executor;
  world: ScenarioWorld | null;
  /** per signal, which sources give it; null for the world, which has them all */
  note(): DataSourcesNote | null;
}

export function worldSide(world: ScenarioWorld, connectors: Connectors, executor: Executor, scenario: string, seed: number): DataSide {
  return {
    mode: 'world',
    label: `the scenario world (${scenario}, seed ${seed})`,
    connectors,
    now: () => world.now(),
    wait: (minutes) => world.advance(minutes),
    executor,
    world,
    note: () => null,
  };
}

export function liveSide(live: LiveConnectors, connectors: Connectors, executor: Executor): DataSide {
  return {
    mode: 'live',
    label: live.sources.map((s) => s.name).join(', ') || 'no source',
    connectors,
    now: () => Date.now(),
    wait: (minutes) => new Promise((resolve) => setTimeout(resolve, minutes * 60_000).unref()),
    executor,
    world: null,
    note: () => ({ signals: live.signals(), failures: live.failures().map(({ source, error }) => ({ source, error })) }),
  };
}

/**
 * `auto` mode with no real source configured: the world until the OTLP receiver holds data, then the real side for
 * good (a deployment that starts sending telemetry is not switched back when it goes quiet).
 */
export function switchOnOtlp(world: DataSide, live: DataSide, otlp: OtlpStore, onSwitch: () => void): () => DataSide {
  let switched = false;
  return () => {
    if (!switched && otlp.hasData()) {
      switched = true;
      onSwitch();
    }
    return switched ? live : world;
  };
}

/** Connectors, clock and executor that read through to the active side on every call. */
export function delegating(active: () => DataSide): { connectors: Connectors; executor: Executor } {
  const c = () => active().connectors;
  const connectors: Connectors = {
    metrics: { query: (q) => c().metrics.query(q), list: () => c().metrics.list(), diagnostics: () => c().metrics.diagnostics?.() ?? [] },
    logs: { read: (q) => c().logs.read(q), services: async () => (await c().logs.services?.()) ?? [], diagnostics: () => c().logs.diagnostics?.() ?? [] },
    traces: { spans: (q) => c().traces.spans(q), diagnostics: () => c().traces.diagnostics?.() ?? [] },
    cmdb: { snapshot: () => c().cmdb.snapshot() },
  };
  const executor: Executor = {
    get name() {
      return active().executor.name;
    },
    execute: (step, options) => active().executor.execute(step, options),
    rollback: async (step, options) => {
      const e = active().executor;
      return e.rollback ? e.rollback(step, options) : { ok: false, output: `the ${e.name} executor cannot undo a step` };
    },
  };
  return { connectors, executor };
}
