import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIGEST_FILE, sourceDigest } from '../../scripts/source-digest.mjs';
import { renderTable } from './table.js';
import { processSettings } from '../config.js';
import type { BenchSuite } from './types.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The launcher people run, so its own checks count too. */
const LAUNCHER = path.join(ROOT, 'bin', 'sre-copilot');
/** A command slower than this is stuck, not slow. */
const GIVE_UP_MS = 120_000;
/** After the start-up line, how long /healthz may take before the suite decides this serve has none. */
const HEALTHZ_GRACE_MS = 5_000;
const POLL_MS = 20;

/**
 * Wall time from spawning `bin/sre-copilot` to: `--help` and `--version` exiting, `serve` printing its start-up line on
 * stderr, and `serve` answering GET /healthz with 200. Each child gets its own empty SRE_COPILOT_HOME, a free port on
 * 127.0.0.1 and no chat tokens, so it measures the offline start on this machine, whatever the caller's shell holds.
 * Params: runs (default 5; the table shows the median, min and max).
 */
export const startupSuite: BenchSuite = {
  name: 'startup',
  description: 'wall time of --help, --version and serve (start-up line, then GET /healthz 200), median of N runs (param runs, default 5)',
  async run({ params, progress }) {
    const runs = Number(params.runs ?? '5');
    if (!Number.isInteger(runs) || runs < 1 || runs > 100) throw new Error(`runs must be an integer from 1 to 100, got "${params.runs}"`);
    const samples: Record<'help' | 'version' | 'serveLine' | 'healthz', number[]> = { help: [], version: [], serveLine: [], healthz: [] };
    let healthzMissing = 0;
    const modeBefore = launcherMode();
    for (let i = 0; i < runs; i++) {
      progress(`startup run ${i + 1}/${runs}: --help`);
      samples.help.push(await timeToExit(['--help']));
      progress(`startup run ${i + 1}/${runs}: --version`);
      samples.version.push(await timeToExit(['--version']));
      progress(`startup run ${i + 1}/${runs}: serve`);
      const serve = await timeServe();
      samples.serveLine.push(serve.lineMs);
      if (serve.healthzMs === null) healthzMissing++;
      else samples.healthz.push(serve.healthzMs);
    }
    const row = (what: string, xs: number[]) => [what, xs.length, ...(xs.length ? [median(xs), Math.min(...xs), Math.max(...xs)] : ['-', '-', '-'])];
    const table = renderTable(
      ['command', 'runs', 'median ms', 'min ms', 'max ms'],
      [
        row('--help', samples.help),
        row('--version', samples.version),
        row('serve → start-up line on stderr', samples.serveLine),
        row('serve → GET /healthz 200', samples.healthz),
      ],
    );
    const modeAfter = launcherMode();
    const mode = modeBefore === modeAfter ? modeBefore : 'mixed';
    const modeLine = {
      dist: 'The launcher ran the compiled dist/ (built from the current src/).',
      src: 'The launcher ran src/ through tsx: dist/ is missing or was built from other sources (npm run build compiles it).',
      mixed: 'src/ changed during the runs: some ran the compiled dist/, some src/ through tsx.',
    }[mode];
    const note = healthzMissing
      ? `\n\nGET /healthz did not answer 200 within ${HEALTHZ_GRACE_MS / 1000} s of the start-up line in ${healthzMissing} of ${runs} run(s): this serve has no health endpoint yet, so the start-up line is the measure.`
      : '';
    const summary = {
      runs,
      launcher: mode,
      helpMedianMs: median(samples.help),
      versionMedianMs: median(samples.version),
      serveLineMedianMs: median(samples.serveLine),
      healthzMedianMs: samples.healthz.length ? median(samples.healthz) : null,
    };
    return { suite: 'startup', text: `Start-up wall time of bin/sre-copilot, ${runs} run(s)\n\n${table}\n\n${modeLine}${note}`, json: { summary, samples } };
  },
};

/** Which code bin/start.mjs runs right now: the same test it makes. */
function launcherMode(): 'dist' | 'src' {
  try {
    return readFileSync(path.join(ROOT, 'dist', DIGEST_FILE), 'utf8').trim() === sourceDigest(ROOT) ? 'dist' : 'src';
  } catch {
    return 'src';
  }
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return Math.round(s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2);
}

/** A clean environment: PATH to find bash and the tools the launcher uses, and only the variables given. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: processSettings().searchPath, ...extra };
}

async function withHome<T>(fn: (home: string) => Promise<T>): Promise<T> {
  const home = await mkdtemp(path.join(tmpdir(), 'sre-copilot-startup-'));
  try {
    return await fn(home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Milliseconds until `bin/sre-copilot <args>` exits; anything but exit code 0 is an error. */
function timeToExit(args: string[]): Promise<number> {
  return withHome(
    (home) =>
      new Promise((resolve, reject) => {
        const started = performance.now();
        const child = spawn(LAUNCHER, args, { env: childEnv({ SRE_COPILOT_HOME: home }), stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), GIVE_UP_MS);
        child.on('error', reject);
        child.on('exit', (code, signal) => {
          clearTimeout(timer);
          if (code === 0) resolve(Math.round(performance.now() - started));
          else reject(new Error(`sre-copilot ${args.join(' ')} exited with ${code ?? signal}: ${stderr.trim().slice(-500)}`));
        });
      }),
  );
}

/**
 * Starts `serve` with stdin held open (the console adapter stops at end of input), notes when its start-up line
 * appears and when GET /healthz first answers 200, then stops it with SIGTERM.
 */
function timeServe(): Promise<{ lineMs: number; healthzMs: number | null }> {
  return withHome(async (home) => {
    const port = await freePort();
    const started = performance.now();
    const child = spawn(LAUNCHER, ['serve'], {
      env: childEnv({ SRE_COPILOT_HOME: home, PORT: String(port), HOST: '127.0.0.1' }),
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    let lineMs: number | null = null;
    let healthzMs: number | null = null;
    let exited: string | null = null;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (lineMs === null && /sre-copilot serve\b/.test(stderr)) lineMs = Math.round(performance.now() - started);
    });
    const exit = new Promise<void>((resolve) => child.on('exit', (code, signal) => ((exited = String(code ?? signal)), resolve())));
    try {
      for (;;) {
        const elapsed = performance.now() - started;
        if (exited !== null) throw new Error(`sre-copilot serve exited with ${exited} before it was ready: ${stderr.trim().slice(-500)}`);
        if (elapsed > GIVE_UP_MS) throw new Error(`sre-copilot serve was not ready after ${GIVE_UP_MS / 1000} s: ${stderr.trim().slice(-500)}`);
        if (healthzMs === null && (await healthy(port))) healthzMs = Math.round(performance.now() - started);
        if (lineMs !== null && (healthzMs !== null || performance.now() - started - lineMs > HEALTHZ_GRACE_MS)) break;
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } finally {
      if (exited === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(killer);
      }
    }
    return { lineMs: lineMs!, healthzMs };
  });
}

async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false; // not listening yet
  }
}

/** A port that was free a moment ago (the child binds it right after; good enough for a benchmark). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}
