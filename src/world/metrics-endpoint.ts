/**
 * A live /metrics endpoint for the scenario world: the same series as the OpenMetrics export (prometheus-export.ts)
 * in Prometheus' text exposition format with explicit timestamps, the world's clock mapped onto the wall clock, so a
 * real Prometheus scraping it (every second, honor_timestamps on, the default) first catches up on the world's history
 * a few world minutes per scrape and then follows the world as it writes new minutes.
 *
 * Rules that keep a real Prometheus accepting every sample:
 * - a timestamp is the world time plus a fixed offset of whole minutes: the world's now at creation maps to the last
 *   wall-clock minute at or before `anchorWallMs` (default the wall clock then), so the history lies in the past,
 *   minutes stay 60 s apart (rate() windows keep their meaning) and fall on the minutes the connector evaluates;
 * - a minute is served once, after every earlier minute, and only when its wall time has come (never in the future):
 *   minutes the world simulates faster than real time (a verification wait) appear as the wall clock reaches them;
 * - Prometheus' head refuses samples more than an hour older than its newest one (its own `up` sample is now), but
 *   takes anything in the first scrape, which starts it: every minute older than FIRST_SCRAPE_HORIZON_MS comes then;
 * - a scrape whose answer Prometheus hung up on (a scrape timeout) is served again.
 * Scrape it with `honor_labels: true`, so that the exposed `instance` (host names, host:9464 for services) stays.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FileCmdbSource, FileMetricsSource } from '../connectors/files/index.js';
import { buildFamilies, type OmFamily, seriesNames, valueText } from './prometheus-export.js';

export const FIRST_SCRAPE_HORIZON_MS = 50 * 60_000;

export interface WorldMetricsEndpointOptions {
  /** the world's telemetry folder (metrics.csv, cmdb.yaml), read through the file connector */
  dir: string;
  /** the world's clock (ScenarioWorld.now): minutes before it are complete */
  worldNow: () => number;
  /** the wall clock, epoch ms (tests pass a fake one) */
  wallNow?: () => number;
  /** the wall time the world's now maps to (rounded down to a whole minute); default: the wall clock at creation */
  anchorWallMs?: number;
  /** how many history minutes one scrape serves while catching up (at least 1) */
  minutesPerScrape?: number;
}

interface Taken {
  body: string;
  /** world time of the last minute served before, and after, this scrape */
  fromMs: number;
  toMs: number;
}

interface Built {
  key: string;
  /** the world minutes (row times of metrics.csv), ascending */
  minutes: number[];
  /** the scrape body for some of those minutes */
  text: (minutes: readonly number[]) => string;
}

export class WorldMetricsEndpoint {
  /** wall time minus world time, for every sample served */
  readonly offsetMs: number;
  private readonly metrics: FileMetricsSource;
  private readonly cmdb: FileCmdbSource;
  private readonly wallNow: () => number;
  private readonly perScrape: number;
  private built: Built | undefined;
  /** world time of the last minute served; -Infinity before the first scrape */
  private servedThrough = Number.NEGATIVE_INFINITY;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: WorldMetricsEndpointOptions) {
    this.wallNow = opts.wallNow ?? Date.now;
    // whole minutes: world minutes land on wall-clock minutes, where the connector's aligned steps evaluate
    this.offsetMs = Math.floor(((opts.anchorWallMs ?? this.wallNow()) - opts.worldNow()) / 60_000) * 60_000;
    this.perScrape = Math.max(1, Math.floor(opts.minutesPerScrape ?? 5));
    this.metrics = new FileMetricsSource(opts.dir);
    this.cmdb = new FileCmdbSource(opts.dir);
  }

  toWallMs(worldMs: number): number {
    return worldMs + this.offsetMs;
  }

  /** world time of the last minute served so far (-Infinity before the first scrape) */
  get lastServedWorldMs(): number {
    return this.servedThrough;
  }

  /** Reads and renders the world's series now, so the first scrape does not pay for it. */
  async ready(): Promise<void> {
    await this.refresh();
  }

  /** Whether every minute the world has written is served (the catch-up is over until the world writes more). */
  caughtUp(): boolean {
    const last = this.built?.minutes.at(-1);
    return last !== undefined && this.servedThrough >= last;
  }

  /** The body of one scrape: the next minutes due, in the text exposition format, timestamps in ms. */
  async scrape(): Promise<string> {
    return (await this.take()).body;
  }

  private take(): Promise<Taken> {
    const next = this.queue.then(() => this.scrapeNow());
    this.queue = next.catch(() => {});
    return next;
  }

  /**
   * A scrape whose answer never reached Prometheus (it timed out and hung up while a big catch-up was being written)
   * is served again on the next one, unless a later scrape has been answered since.
   */
  private giveBack(taken: Taken): void {
    if (this.servedThrough === taken.toMs) this.servedThrough = taken.fromMs;
  }

  /** A node:http handler: GET /metrics answers a scrape, anything else 404. */
  readonly handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' || !req.url?.startsWith('/metrics')) {
      res.writeHead(404).end();
      return;
    }
    const started = performance.now();
    // Prometheus says how long it waits; an answer written after that was dropped even if the socket took it
    const timeoutS = Number(req.headers['x-prometheus-scrape-timeout-seconds']);
    this.take().then(
      (taken) => {
        res.once('close', () => {
          const late = Number.isFinite(timeoutS) && performance.now() - started > timeoutS * 1000;
          if (!res.writableFinished || late) this.giveBack(taken);
        });
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(taken.body);
      },
      (e: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`cannot read the world's metrics: ${(e as Error).message}\n`);
      },
    );
  };

  private async scrapeNow(): Promise<Taken> {
    const built = await this.refresh();
    const wall = this.wallNow();
    const fromMs = this.servedThrough;
    const due = built.minutes.filter((m) => m > fromMs && this.toWallMs(m) <= wall);
    // the first scrape carries what would be too old for Prometheus' head after it, and nothing more
    const old = fromMs === Number.NEGATIVE_INFINITY ? due.filter((m) => this.toWallMs(m) < wall - FIRST_SCRAPE_HORIZON_MS).length : 0;
    const take = due.slice(0, old || this.perScrape);
    if (take.length === 0) return { body: '', fromMs, toMs: fromMs };
    this.servedThrough = take.at(-1)!;
    return { body: built.text(take), fromMs, toMs: this.servedThrough };
  }

  /** The world's series as they are now, rendered per minute; rebuilt only when metrics.csv has grown. */
  private async refresh(): Promise<Built> {
    const series = await this.metrics.query({ fromMs: 0, toMs: this.opts.worldNow() });
    const points = series.reduce((n, s) => n + s.points.length, 0);
    const minutes = [...new Set(series.flatMap((s) => s.points.map((p) => p.ts)))].sort((a, b) => a - b);
    const key = `${points}:${minutes.at(-1) ?? ''}`;
    if (this.built?.key !== key) this.built = { key, minutes, text: minuteTexts(buildFamilies(series, await this.cmdb.snapshot()), this.offsetMs) };
    return this.built;
  }
}

/**
 * Prometheus text format 0.0.4, rendered once per world minute so that a scrape only joins strings (it has a second):
 * the returned function gives the body for some minutes, each family once with its points minute by minute, oldest
 * first (the first sample of a first scrape starts Prometheus' head). A point between two minutes (a restart) goes
 * with the minute after it. Timestamps are world time plus offsetMs, in ms.
 */
export function minuteTexts(families: readonly OmFamily[], offsetMs: number): (minutes: readonly number[]) => string {
  const rendered = families.map((f) => {
    const byMinute = new Map<number, string[]>();
    for (const m of f.metrics) {
      const names = seriesNames(f, m);
      for (const p of m.points) {
        const minute = Math.ceil(p.tsMs / 60_000) * 60_000;
        let lines = byMinute.get(minute);
        if (!lines) byMinute.set(minute, (lines = []));
        const ts = String(p.tsMs + offsetMs);
        p.samples.forEach((s, i) => lines.push(`${names(s, i)} ${valueText(s.value)} ${ts}`));
      }
    }
    // in this format a counter's family is named with its _total, and "unknown" is "untyped"
    const name = f.type === 'counter' ? `${f.name}_total` : f.name;
    const header = `# HELP ${name} ${f.help}\n# TYPE ${name} ${f.type === 'unknown' ? 'untyped' : f.type}\n`;
    return { header, byMinute: new Map([...byMinute].map(([k, lines]) => [k, `${lines.join('\n')}\n`])) };
  });
  return (minutes) => {
    let out = '';
    for (const f of rendered) {
      const parts = minutes.flatMap((m) => f.byMinute.get(m) ?? []);
      if (parts.length) out += f.header + parts.join('');
    }
    return out;
  };
}
