import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = new URL('../../bin/sre-copilot', import.meta.url).pathname;
/** Packages that take seconds to load; only the commands that use them may import them. */
const HEAVY = ['@mastra/core', '@mastra/libsql', 'vega', 'vega-lite', '@resvg/resvg-js', '@slack/bolt', 'discord.js', '@libsql/client'];

describe('bin/sre-copilot start-up', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('--version prints the version in package.json and exits 0', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const { stdout } = await run(BIN, [flag]);
      expect(stdout).toBe(`${pkg.version}\n`);
    }
  });

  it('--help lists every command and loads none of the heavy packages', async () => {
    // V8 writes, per thread, every script the process compiled: the modules it loaded, whichever way the launcher runs
    // (compiled dist/ or src/ through tsx).
    const coverage = await mkdtemp(path.join(tmpdir(), 'sre-copilot-loaded-'));
    dirs.push(coverage);
    const { stdout } = await run(BIN, ['--help'], { env: { ...process.env, NODE_V8_COVERAGE: coverage } });
    for (const command of ['demo', 'chat', 'scenarios', 'audit', 'bench', 'serve']) expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    const urls: string[] = [];
    for (const file of await readdir(coverage)) {
      const report = JSON.parse(await readFile(path.join(coverage, file), 'utf8')) as { result: { url: string }[] };
      urls.push(...report.result.map((r) => r.url));
    }
    const packages = new Set(urls.flatMap((u) => [...u.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((m) => m[1]!)));
    expect(urls.some((u) => /\/(src|dist)\/cli\/main\.(ts|js)$/.test(u))).toBe(true);
    expect(packages).toContain('commander');
    expect(HEAVY.filter((h) => packages.has(h))).toEqual([]);
  });
});
