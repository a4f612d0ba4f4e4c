import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileConnectors } from '../connectors/files/index.js';
import { createWorld } from '../world/index.js';
import { detectSymptoms, symptomAlert, triage, type Symptom } from './golden-signals.js';
import { goldenSignalsJob, type DetectionContext } from './jobs.js';
import { Scheduler, listSchedules } from './scheduler.js';

const tmp = () => mkdtemp(path.join(os.tmpdir(), 'sre-schedules-'));

async function world(scenario: string, seed: number) {
  const w = createWorld({ scenario, seed, dir: await tmp() });
  await w.start();
  return { w, metrics: createFileConnectors(w.dir).metrics };
}

describe('golden-signal detection', () => {
  it('finds the degraded service and the business KPI of a bad deploy before anyone asks, and nothing in a quiet window', async () => {
    const { w, metrics } = await world('bad-deploy-payment', 4);
    const symptoms = await detectSymptoms(metrics, w.now());
    const keys = symptoms.map((s) => s.key);
    expect(keys).toContain('payment-service|error_rate');
    expect(keys).toContain('business|payment_success_rate');
    const alert = symptomAlert(symptoms.find((s) => s.key === 'payment-service|error_rate')!);
    expect(alert).toMatchObject({ alertname: 'ErrorRateHigh', service: 'payment-service', fingerprint: 'detector:payment-service|error_rate', summary: expect.stringMatching(/error rate of payment-service up .* no alert had fired/) });
    // two hours earlier nothing was wrong yet
    expect((await detectSymptoms(metrics, w.now() - 120 * 60_000)).filter((s) => s.severity === 'critical')).toEqual([]);
  });

  it('raises a symptom once, again only when it escalates, and forgets it once it recovers', () => {
    const s = (severity: 'warning' | 'critical') => ({ key: 'a|error_rate', severity }) as Symptom;
    const open = new Map<string, 'warning' | 'critical'>();
    expect(triage([s('warning')], open)).toHaveLength(1);
    expect(triage([s('warning')], open)).toHaveLength(0);
    expect(triage([s('critical')], open)).toHaveLength(1);
    expect(triage([s('warning')], open)).toHaveLength(0); // calming down is not news
    expect(triage([], open)).toHaveLength(0);
    expect(open.size).toBe(0);
    expect(triage([s('warning')], open)).toHaveLength(1); // a new episode
  });
});

describe('the scheduler', () => {
  it('skips a tick while the previous run goes on, backs off a failing job and reports it once, then its recovery', async () => {
    const dir = await tmp();
    const lines: string[] = [];
    let now = 1_000_000;
    let release!: () => void;
    let mode: 'slow' | 'fail' | 'ok' = 'slow';
    const job = {
      name: 'probe',
      description: 'test job',
      cron: '* * * * *',
      run: async () => {
        if (mode === 'slow') await new Promise<void>((r) => (release = r));
        if (mode === 'fail') throw new Error('prometheus: connection refused');
        return { summary: 'all quiet' };
      },
    };
    const scheduler = new Scheduler([job], {}, path.join(dir, 'schedules.json'), (l) => lines.push(l), () => now);
    const first = scheduler.tick('probe');
    expect(await scheduler.tick('probe')).toBe('overlap');
    release();
    expect(await first).toBe('ran');

    mode = 'fail';
    expect(await scheduler.tick('probe')).toBe('failed');
    expect(await scheduler.tick('probe')).toBe('backoff'); // still within the first minute of back-off
    now += 61_000;
    expect(await scheduler.tick('probe')).toBe('failed');
    now += 61_000;
    expect(await scheduler.tick('probe')).toBe('backoff'); // the second failure waits two minutes
    expect(lines.filter((l) => /failed/.test(l))).toHaveLength(1);

    mode = 'ok';
    now += 120_000;
    expect(await scheduler.tick('probe')).toBe('ran');
    expect(lines.at(-1)).toMatch(/probe works again after 2 failed run/);
    const listed = await listSchedules([job], path.join(dir, 'schedules.json'), new Date(now));
    expect(listed).toEqual([expect.objectContaining({ name: 'probe', lastRunAt: now, lastResult: 'all quiet' })]);
    expect(listed[0]!.nextRunAt).toBeGreaterThan(now);
  });

  it('runs the golden-signal job: the new symptoms raised together, each with its chart, and nothing new on the next tick', async () => {
    const { w, metrics } = await world('cache-outage', 2);
    const raised: { key: string; chart: string | null }[] = [];
    let runs = 0;
    const ctx: DetectionContext = {
      metrics,
      now: () => w.now(),
      chartsDir: await tmp(),
      open: new Map(),
      raise: async (news) => {
        runs++;
        // every raised symptom is among the ones open now: they travel as one group
        expect(news.raised.every((r) => news.current.includes(r.symptom))).toBe(true);
        for (const r of news.raised) raised.push({ key: r.symptom.key, chart: r.chart });
      },
    };
    const job = goldenSignalsJob('* * * * *');
    const first = await job.run(ctx);
    expect(raised.length).toBeGreaterThan(0);
    expect(raised.some((r) => r.key.startsWith('redis-cache|') || r.key.startsWith('postgres-main|'))).toBe(true);
    expect(raised.every((r) => r.chart?.endsWith('.png'))).toBe(true);
    expect(first.summary).toMatch(/raised \d+/);
    expect(runs).toBe(1);
    raised.length = 0;
    await job.run(ctx);
    expect(raised).toEqual([]);
  });
});
