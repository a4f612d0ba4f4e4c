import { nabSuite } from './nab.js';
import { loghubSuite } from './loghub.js';
import { nezhaSuite } from './nezha/suite.js';
import { petshopSuite } from './petshop/suite.js';
import { scenarioSuite } from './scenarios.js';
import { liveSuite } from './live.js';
import { startupSuite } from './startup.js';
import { ingestSuite } from './ingest.js';
import { loadSuite } from './load.js';
import { kbSuite } from './kb.js';
import type { BenchSuite } from './types.js';

/** Benchmark suites by name; adding one is one file plus one line here. */
export const BENCH_SUITES: BenchSuite[] = [scenarioSuite, nabSuite, loghubSuite, petshopSuite, nezhaSuite, startupSuite, ingestSuite, liveSuite, loadSuite, kbSuite];

export function findSuites(name: string): BenchSuite[] {
  if (name === 'all') return BENCH_SUITES;
  const suite = BENCH_SUITES.find((s) => s.name === name);
  if (!suite) throw new Error(`unknown benchmark "${name}"; choose one of: all, ${BENCH_SUITES.map((s) => s.name).join(', ')}`);
  return [suite];
}
