/**
 * A throwaway Prometheus holding given OpenMetrics history: `promtool tsdb create-blocks-from openmetrics` writes the
 * blocks into a temporary storage folder, then `prometheus` serves them on a free loopback port with a config that
 * scrapes nothing. For benchmarks and tests that read recorded history through the real query engine.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startDaemon } from '../live/daemons.js';

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
    const prometheus = await startDaemon({
      name: 'Prometheus',
      bin: opts.prometheus ?? DEFAULT_PROMETHEUS,
      args: (port) => [
        `--config.file=${config}`,
        `--storage.tsdb.path=${data}`,
        // retention counts back from the newest block: the backfilled history must never be old enough to be deleted
        '--storage.tsdb.retention.time=100y',
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      readyPath: '/-/ready',
      readyTimeoutMs: opts.readyTimeoutMs ?? 30_000,
    });
    return { url: prometheus.url, dir, close: () => prometheus.close().then(() => rm(dir, { recursive: true, force: true })) };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
