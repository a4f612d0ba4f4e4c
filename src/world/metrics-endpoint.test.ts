import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, type ScenarioWorld } from './index.js';
import { FIRST_SCRAPE_HORIZON_MS, WorldMetricsEndpoint } from './metrics-endpoint.js';
import { buildFamilies, readWorldMetrics } from './prometheus-export.js';

/** series → timestamps (ms) of one scrape body; every sample line must carry a timestamp */
function samples(body: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of body.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+?(?:\{.*\})?) (\S+) (\d+)$/.exec(line);
    expect(m, line).not.toBeNull();
    const list = out.get(m![1]!) ?? [];
    list.push(Number(m![3]));
    out.set(m![1]!, list);
  }
  return out;
}

describe('the world metrics endpoint', () => {
  let dir: string;
  let world: ScenarioWorld;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sre-copilot-endpoint-'));
    world = createWorld({ scenario: 'memory-leak-user', seed: 2, dir });
    await world.start();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('catches up on the history minute by minute, then follows new minutes as the wall clock reaches them', async () => {
    let wall = 1_900_000_012_345;
    const endpoint = new WorldMetricsEndpoint({ dir, worldNow: () => world.now(), wallNow: () => wall, minutesPerScrape: 4 });
    // the world's now maps to the wall clock's last whole minute
    expect(endpoint.offsetMs % 60_000).toBe(0);
    expect(endpoint.toWallMs(world.now())).toBeLessThanOrEqual(wall);
    expect(endpoint.toWallMs(world.now())).toBeGreaterThan(wall - 60_000);
    const startMs = world.groundTruth.startMs!;
    const last = new Map<string, number>();
    const minutesPerScrape: number[] = [];
    let lines = 0;
    const scrape = async () => {
      const body = await endpoint.scrape();
      const minutes = new Set<number>();
      for (const [series, ts] of samples(body)) {
        for (const t of ts) {
          // strictly increasing per series, across scrapes too, and never ahead of the wall clock
          expect(t, series).toBeGreaterThan(last.get(series) ?? Number.NEGATIVE_INFINITY);
          expect(t).toBeLessThanOrEqual(wall);
          last.set(series, t);
          if ((t - endpoint.offsetMs) % 60_000 === 0) minutes.add(t);
          lines++;
        }
      }
      return minutes;
    };

    for (let i = 0; i < 100 && !endpoint.caughtUp(); i++) {
      wall += 1_000;
      const minutes = await scrape();
      if (i === 0) {
        // the first scrape starts Prometheus' head: everything more than the horizon old comes in it, oldest first
        expect(Math.min(...minutes)).toBe(endpoint.toWallMs(startMs));
        expect(Math.max(...minutes)).toBeLessThan(wall - FIRST_SCRAPE_HORIZON_MS);
        expect(Math.max(...minutes) + 60_000).toBeGreaterThanOrEqual(wall - FIRST_SCRAPE_HORIZON_MS);
      }
      minutesPerScrape.push(minutes.size);
    }
    expect(endpoint.caughtUp()).toBe(true);
    expect(endpoint.lastServedWorldMs).toBe(world.now() - 60_000);
    expect(minutesPerScrape.slice(1, -1).every((n) => n === 4)).toBe(true);
    expect(minutesPerScrape.at(-1)).toBeGreaterThanOrEqual(1);
    // every sample of the export was served exactly once
    const { series, cmdb } = await readWorldMetrics(dir);
    const total = buildFamilies(series, cmdb).reduce((n, f) => n + f.metrics.reduce((k, m) => k + m.points.reduce((j, p) => j + p.samples.length, 0), 0), 0);
    expect(lines).toBe(total);

    wall += 1_000;
    expect(await endpoint.scrape()).toBe('');
    // the world runs two minutes ahead at once (a verification wait): each appears when the wall clock reaches it
    const before = world.now();
    await world.advance(2);
    wall = endpoint.toWallMs(before) + 30_000;
    expect([...(await scrape())]).toEqual([endpoint.toWallMs(before)]);
    expect(await endpoint.scrape()).toBe('');
    wall = endpoint.toWallMs(before + 60_000);
    expect([...(await scrape())]).toEqual([endpoint.toWallMs(before + 60_000)]);
    expect(endpoint.caughtUp()).toBe(true);
  });
});
