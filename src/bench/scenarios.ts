import { createChannel } from '../bot/registry.js';
import { runDemo, resolveScenarios } from '../cli/demo.js';
import { renderTable } from './table.js';
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

/** The bundled scenarios over many seeds: root-cause accuracy, fixes and verified recovery, time per incident. */
export const scenarioSuite: BenchSuite = {
  name: 'scenarios',
  description: 'every bundled incident scenario over several seeds (param seeds, default 1-8)',
  async run({ config, params, progress }) {
    const seeds = parseSeeds(params.seeds ?? '1-8');
    const names = resolveScenarios('all');
    const rows = new Map(names.map((n) => [n, { kind: '', n: 0, top1: 0, top3: 0, fixed: 0, recovered: 0, ms: 0 }]));
    const misses: { seed: number; scenario: string; top: string }[] = [];
    for (const seed of seeds) {
      const result = await runDemo({
        config: { ...config, home: `${config.home}/bench-scenarios/seed-${seed}` },
        scenarios: names,
        seed,
        approve: 'yes',
        channelFor: () => createChannel('console', { stream: null }),
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
        if (!s.hit1) misses.push({ seed, scenario: s.name, top: s.topCauses.map((c) => `${c.target}/${c.kind}`).join(', ') });
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
      fixed: share(total.fixed, total.n),
      recovered: share(total.recovered, total.n),
      secondsPerIncident: share(total.ms / 1000, total.n),
    };
    const table = renderTable(
      ['scenario', 'fault kind', 'cases', 'AC@1', 'AC@3', 'fixed', 'recovered', 's/incident'],
      [
        ...[...rows].map(([name, r]) => [name, r.kind, r.n, share(r.top1, r.n), share(r.top3, r.n), share(r.fixed, r.n), share(r.recovered, r.n), share(r.ms / 1000, r.n)]),
        ['all', '', total.n, summary.top1, summary.top3, summary.fixed, summary.recovered, summary.secondsPerIncident],
      ],
    );
    const missText = misses.length ? `\n\nMisses:\n${misses.map((m) => `  seed ${m.seed} ${m.scenario}: ${m.top}`).join('\n')}` : '';
    return { suite: 'scenarios', text: `Scenario demo, seeds ${seeds.join(',')}\n\n${table}${missText}`, json: { summary, scenarios: Object.fromEntries(rows), misses } };
  },
};
