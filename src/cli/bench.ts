import path from 'node:path';
import { findSuites } from '../bench/registry.js';
import type { Config } from '../config.js';

export async function runBench(config: Config, suiteName: string, opts: { data?: string; out?: string; json?: boolean; param?: string[] }): Promise<void> {
  const suites = findSuites(suiteName);
  const params: Record<string, string> = {};
  for (const p of opts.param ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new Error(`--param takes key=value, got "${p}"`);
    params[p.slice(0, eq)] = p.slice(eq + 1);
  }
  const progress = process.stderr.isTTY ? (line: string) => process.stderr.write(`\r\x1b[2K${line}`) : () => {};
  const results = [];
  for (const suite of suites) {
    const started = performance.now();
    const result = await suite.run({
      config,
      ...(opts.data ? { data: path.resolve(opts.data) } : {}),
      ...(opts.out ? { out: path.resolve(opts.out) } : {}),
      params,
      progress,
    });
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
    results.push({ ...result.json, suite: suite.name, seconds: Math.round((performance.now() - started) / 100) / 10 });
    if (!opts.json) process.stdout.write(`${result.text}\n\n(${suite.name}: ${((performance.now() - started) / 1000).toFixed(1)} s)\n\n`);
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(results.length === 1 ? results[0] : { suites: results }, null, 2)}\n`);
}
