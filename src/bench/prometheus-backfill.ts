/**
 * A throwaway Prometheus holding given OpenMetrics history: `promtool tsdb create-blocks-from openmetrics` writes the
 * blocks into a temporary storage folder, then `prometheus` serves them on a free loopback port with a config that
 * scrapes nothing. For benchmarks and tests that read recorded history through the real query engine.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const DEFAULT_PROMTOOL = '/usr/bin/promtool';
export const DEFAULT_PROMETHEUS = '/usr/bin/prometheus';

export interface BackfillOptions {
  promtool?: string;
  prometheus?: string;
  /** how long Prometheus may take to load the blocks and answer /-/ready */
  readyTimeoutMs?: number;
}

export interface BackfilledPrometheus {
  url: string;
  /** the temporary folder (storage, config), removed by close() */
  dir: string;
  close(): Promise<void>;
}

/** The binaries a backfill needs that are not there, as paths (empty when both are installed). */
export function missingBinaries(opts: BackfillOptions = {}): string[] {
  return [opts.promtool ?? DEFAULT_PROMTOOL, opts.prometheus ?? DEFAULT_PROMETHEUS].filter((b) => !existsSync(b));
}

// a Prometheus left running when the process exits (a crash, an interrupted bench) is killed with it
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
}

/** Backfills `openMetrics` (with `# EOF`, timestamps in seconds) and starts a Prometheus over it; resolves when ready. */
export async function startBackfilledPrometheus(openMetrics: string, opts: BackfillOptions = {}): Promise<BackfilledPrometheus> {
  const missing = missingBinaries(opts);
  if (missing.length) throw new Error(`cannot backfill a Prometheus: ${missing.join(' and ')} not found (Debian: apt-get install prometheus)`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sre-copilot-backfill-'));
  try {
    const input = path.join(dir, 'history.om');
    const data = path.join(dir, 'data');
    await writeFile(input, openMetrics);
    try {
      await run(opts.promtool ?? DEFAULT_PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', input, data], { maxBuffer: 16 * 1024 * 1024 });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`promtool could not backfill the history: ${(err.stderr || err.message).trim().split('\n').slice(-3).join(' ')}`);
    }
    await rm(input, { force: true });
    // no scrape jobs: what Prometheus serves is exactly the backfilled blocks
    const config = path.join(dir, 'prometheus.yml');
    await writeFile(config, 'global: {}\nscrape_configs: []\n');
    let lastError: Error | undefined;
    // a free port can be taken between the probe and Prometheus' bind: try a few
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      try {
        const child = await startServer(opts.prometheus ?? DEFAULT_PROMETHEUS, config, data, port, opts.readyTimeoutMs ?? 30_000);
        const url = `http://127.0.0.1:${port}`;
        return { url, dir, close: () => stop(child).then(() => rm(dir, { recursive: true, force: true })) };
      } catch (e) {
        lastError = e as Error;
      }
    }
    throw lastError ?? new Error('Prometheus did not start');
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

async function startServer(bin: string, config: string, data: string, port: number, readyTimeoutMs: number): Promise<ChildProcess> {
  const child = spawn(bin, [
    `--config.file=${config}`,
    `--storage.tsdb.path=${data}`,
    // retention counts back from the newest block: the backfilled history must never be old enough to be deleted
    '--storage.tsdb.retention.time=100y',
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  track(child);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-2000);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`Prometheus exited (${signal ?? code}) before it was ready: ${stderr.trim().split('\n').slice(-2).join(' ')}`)));
    child.once('error', reject);
  });
  exited.catch(() => {});
  try {
    await Promise.race([waitReady(`http://127.0.0.1:${port}/-/ready`, readyTimeoutMs), exited]);
    return child;
  } catch (e) {
    await stop(child);
    throw e;
  }
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Prometheus did not answer ${url} within ${timeoutMs} ms`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', resolve);
  });
  const address = s.address();
  await new Promise((r) => s.close(r));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}
