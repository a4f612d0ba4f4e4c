import { createChannel } from '../bot/registry.js';
import { runDemo, resolveScenarios } from '../cli/demo.js';
import type { MetricsVia } from '../runtime.js';
import { DEFAULT_PROMETHEUS, DEFAULT_PROMTOOL, missingBinaries } from './prometheus-backfill.js';
import { renderTable } from './table.js';
import { worldViaPrometheus } from './via-prometheus.js';
import type { BenchSuite } from './types.js';

/** Parses "1-8" or "1,3,5" into seeds. */
export function parseSeeds(spec: string): number[] {
  const range = /^(\d+)-(\d+)$/.exec(spec);
  if (range) {
    const [from, to] = [Number(range[1]), Number(range[2])];
    if (to < from || to - from > 1000) throw new Error(`seed range "${spec}" is empty or too large`);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  }
  const seeds = spec.split(',').map((s) => Number(s.trim()));
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`seeds must be like "1-8" or "1,2,3", got "${spec}"`);
  return seeds;
}

/**
 * Where the investigation reads the world's metrics: its metrics.csv through the file connector, or a Prometheus the
 * world's history was backfilled into, through the real Prometheus connector (params promtool, prometheus: binaries).
 */
function metricsPath(params: Record<string, string>): { via: 'files' | 'prometheus'; metricsVia?: MetricsVia; label: string } {
  const via = params.via ?? 'files';
  if (via === 'files') return { via, label: 'metrics read by the file connector from each world\'s metrics.csv' };
  if (via !== 'prometheus') throw new Error(`bench scenarios: via must be "files" or "prometheus", got "${via}"`);
  const bins = { promtool: params.promtool ?? DEFAULT_PROMTOOL, prometheus: params.prometheus ?? DEFAULT_PROMETHEUS };
  const missing = missingBinaries(bins);
  if (missing.length) {
    throw new Error(
      `bench scenarios via=prometheus needs promtool and prometheus, and ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing: ` +
        'install them (Debian: apt-get install prometheus) or name them with --param promtool=PATH --param prometheus=PATH',
    );
  }
  return {
    via,
    metricsVia: worldViaPrometheus(bins),
    label:
      'metrics read by the Prometheus connector from a Prometheus each world\'s history was backfilled into (promtool), ' +
      'so rates are two-minute windows; plans were not approved (the backfill ends at the alert, so verification could not ' +
      'see a recovery): fixed and recovered are not measured',
  };
}

/** The bundled scenarios over many seeds: root-cause accuracy, fixes and verified recovery, time per incident. */
export const scenarioSuite: BenchSuite = {
  name: 'scenarios',
  description: 'every bundled incident scenario over several seeds (params: seeds, default 1-8; via=files|prometheus)',
  async run({ config, params, progress }) {
    const seeds = parseSeeds(params.seeds ?? '1-8');
    const source = metricsPath(params);
    const measured = source.via === 'files';
    const names = resolveScenarios('all');
    const rows = new Map(names.map((n) => [n, { kind: '', n: 0, top1: 0, top3: 0, fixed: 0, recovered: 0, ms: 0 }]));
    const misses: { seed: number; scenario: string; top: string }[] = [];
    for (const seed of seeds) {
      const result = await runDemo({
        config: { ...config, home: `${config.home}/bench-scenarios/seed-${seed}` },
        scenarios: names,
        seed,
        approve: measured ? 'yes' : 'no',
        channelFor: () => createChannel('console', { stream: null }),
        ...(source.metricsVia ? { metricsVia: source.metricsVia } : {}),
        onScenarioDone: (s, i, n) => progress(`seed ${seed} [${i + 1}/${n}] ${s.name} ${s.hit1 ? 'hit' : 'miss'}`),
      });
      for (const s of result.scenarios) {
        const r = rows.get(s.name)!;
        r.kind = s.fault.kind;
        r.n++;
        r.top1 += +s.hit1;
        r.top3 += +s.hit3;
        r.fixed += +s.fixed;
        r.recovered += +s.recovered;
        r.ms += s.elapsedMs;
        if (!s.hit1) misses.push({ seed, scenario: s.name, top: s.error ? `failed: ${s.error}` : s.topCauses.map((c) => `${c.target}/${c.kind}`).join(', ') });
      }
    }
    const all = [...rows.values()];
    const total = all.reduce((a, r) => ({ n: a.n + r.n, top1: a.top1 + r.top1, top3: a.top3 + r.top3, fixed: a.fixed + r.fixed, recovered: a.recovered + r.recovered, ms: a.ms + r.ms }), { n: 0, top1: 0, top3: 0, fixed: 0, recovered: 0, ms: 0 });
    const share = (x: number, n: number) => (n === 0 ? 0 : Math.round((x / n) * 1000) / 1000);
    const summary = {
      seeds: seeds.length,
      cases: total.n,
      top1: share(total.top1, total.n),
      top3: share(total.top3, total.n),
      via: source.via,
      fixed: measured ? share(total.fixed, total.n) : null,
      recovered: measured ? share(total.recovered, total.n) : null,
      secondsPerIncident: share(total.ms / 1000, total.n),
    };
    const outcome = (fixed: number, recovered: number, n: number): (number | string)[] => (measured ? [share(fixed, n), share(recovered, n)] : ['-', '-']);
    const table = renderTable(
      ['scenario', 'fault kind', 'cases', 'AC@1', 'AC@3', 'fixed', 'recovered', 's/incident'],
      [
        ...[...rows].map(([name, r]) => [name, r.kind, r.n, share(r.top1, r.n), share(r.top3, r.n), ...outcome(r.fixed, r.recovered, r.n), share(r.ms / 1000, r.n)]),
        ['all', '', total.n, summary.top1, summary.top3, ...outcome(total.fixed, total.recovered, total.n), summary.secondsPerIncident],
      ],
    );
    const missText = misses.length ? `\n\nMisses:\n${misses.map((m) => `  seed ${m.seed} ${m.scenario}: ${m.top}`).join('\n')}` : '';
    return { suite: 'scenarios', text: `Scenario demo, seeds ${seeds.join(',')}; ${source.label}\n\n${table}${missText}`, json: { summary, scenarios: Object.fromEntries(rows), misses } };
  },
};
