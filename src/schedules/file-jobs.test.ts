import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { printSchedules } from '../cli/schedules.js';
import { loadConfig } from '../config.js';
import { createFileConnectors } from '../connectors/files/index.js';
import { loadCopilotFileConfig, parseCopilotFileConfig } from '../connectors/prometheus/config-file.js';
import type { Conversation } from '../copilot/conversation.js';
import type { AlertGroup } from '../copilot/alert-groups.js';
import { createWorld } from '../world/index.js';
import { raiseDetection } from './detection.js';
import { fileJob, scheduledJobs } from './file-jobs.js';
import { symptomAlert } from './golden-signals.js';
import { goldenSignalsJob, type DetectionContext, type DetectionNews } from './jobs.js';

const EXAMPLE = new URL('../../docs/examples/sre-copilot.yaml', import.meta.url).pathname;
const tmp = () => mkdtemp(path.join(os.tmpdir(), 'sre-file-jobs-'));

/** the first problem parseCopilotFileConfig reports for a `schedules:` section, or null when it is accepted */
function problem(yaml: string): string | null {
  try {
    parseCopilotFileConfig(yaml, '/etc/sre.yaml');
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

const job = (extra: string) => `schedules:\n  - name: kpis\n    cron: "* * * * *"\n    metrics: [error_rate]\n${extra}`;

describe('the schedules: section of the config file', () => {
  it('accepts the documented example, directions defaulted for the built-in signals', () => {
    const { schedules, prometheus } = loadCopilotFileConfig(EXAMPLE);
    expect(prometheus.url).toBe('http://prometheus:9090'); // the prometheus section reads as before
    expect(schedules.map((s) => s.name)).toEqual(['payments-kpis', 'host-memory']);
    expect(schedules[0]).toMatchObject({ cron: '*/2 * * * *', entities: ['business'], windowMinutes: 5, minScore: 0.3, criticalScore: 0.6 });
    const jobs = schedules.map(fileJob);
    expect(jobs.map((j) => j.cron)).toEqual(['*/2 * * * *', '*/5 * * * *']);
    expect(jobs[1]!.description).toBe('CPU utilisation, host memory of node-*, db-?');
    expect(parseCopilotFileConfig('prometheus: {}\n').schedules).toEqual([]);
  });

  it('rejects bad input naming the file and the field', () => {
    expect(problem(job('').replace('"* * * * *"', '"every minute"'))).toBe(
      'SRE_COPILOT_CONFIG: /etc/sre.yaml is invalid (schedules.0.cron: "every minute" is not a cron expression (5 fields, or 6 with seconds first, e.g. "*/5 * * * *"))',
    );
    expect(problem(job('').replace('[error_rate]', '[error_rate, mem_util]'))).toMatch(/^SRE_COPILOT_CONFIG: \/etc\/sre\.yaml is invalid \(schedules\.0\.metrics\.1\.direction: mem_util is not a built-in signal .*direction: up \}\)$/);
    expect(problem(job('').replace('[error_rate]', '[{ metric: mem_util, direction: sideways }]'))).toMatch(/schedules\.0\.metrics\.0\.direction: /);
    expect(problem(job('  - name: kpis\n    cron: "*/5 * * * *"\n    metrics: [cpu_util]\n'))).toMatch(/\(schedules\.1\.name: "kpis" is already the name of schedules\.0\)$/);
    expect(problem(job('').replace('name: kpis', 'name: golden-signals'))).toMatch(/schedules\.0\.name: golden-signals is the built-in job/);
    expect(problem(job('').replace('name: kpis', 'name: Payments_KPIs'))).toMatch(/schedules\.0\.name: job names are kebab-case/);
    expect(problem(job('    window: 5\n'))).toMatch(/schedules\.0: .*"window"/);
    expect(problem(job('    minScore: 0.5\n    criticalScore: 0.4\n'))).toMatch(/schedules\.0\.criticalScore: below minScore \(0\.5\)/);
    expect(problem(job('    entities: []\n'))).toMatch(/schedules\.0\.entities: /);
    expect(problem(job('').replace('[error_rate]', '[]'))).toMatch(/schedules\.0\.metrics: watch at least one metric/);
    expect(problem(job(''))).toBeNull();
  });
});

describe('a detection job of the config file', () => {
  it('raises only the symptoms it watches, on the entities it names, with its own memory and its own alert group', async () => {
    const w = createWorld({ scenario: 'bad-deploy-payment', seed: 4, dir: await tmp() });
    await w.start();
    const news: DetectionNews[] = [];
    const ctx: DetectionContext = { metrics: createFileConnectors(w.dir).metrics, now: () => w.now(), chartsDir: await tmp(), open: new Map(), raise: async (n) => void news.push(n) };
    const [kpis] = parseCopilotFileConfig(
      'schedules:\n  - name: payments-kpis\n    cron: "*/2 * * * *"\n    metrics: [payment_success_rate, orders_per_minute]\n    entities: [busi*]\n',
    ).schedules.map(fileJob);

    await kpis!.run(ctx);
    expect(news).toHaveLength(1);
    expect(news[0]!.job).toBe('payments-kpis');
    // the bad deploy also fails payment-service, order-service, the gateway: this job does not watch them
    expect(news[0]!.raised.map((r) => r.symptom.key).sort()).toEqual(['business|orders_per_minute', 'business|payment_success_rate']);
    expect(news[0]!.current.every((s) => s.entity === 'business')).toBe(true);
    const alert = symptomAlert(news[0]!.raised[0]!.symptom);
    expect(alert).toMatchObject({ fingerprint: expect.stringMatching(/^detector:payments-kpis:business\|/), labels: { detector: 'payments-kpis' } });

    // the job remembers what it raised; the built-in job's memory (ctx.open) is not touched and it raises its own
    expect(ctx.open.size).toBe(0);
    await kpis!.run(ctx);
    expect(news).toHaveLength(1);
    await goldenSignalsJob('* * * * *').run(ctx);
    expect(news).toHaveLength(2);
    expect(news[1]!.job).toBe('golden-signals');
    expect(news[1]!.raised.map((r) => r.symptom.key)).toEqual(expect.arrayContaining(['payment-service|error_rate', 'business|payment_success_rate']));

    // an entity filter by name (glob) keeps the other services out
    const [errors] = parseCopilotFileConfig('schedules:\n  - name: payment-errors\n    cron: "* * * * *"\n    metrics: [error_rate]\n    entities: ["pay*-service"]\n').schedules.map(fileJob);
    await errors!.run(ctx);
    expect(news[2]!.raised.map((r) => r.symptom.key)).toEqual(['payment-service|error_rate']);

    // each job's news is its own alert group, so that one job's quiet run cannot resolve what another still sees
    const groups: AlertGroup[] = [];
    const conversation = { alertGroup: async (g: AlertGroup) => (groups.push(g), { kind: 'ignored', reason: 'test' }) } as unknown as Conversation;
    for (const n of news) await raiseDetection(conversation, n, () => undefined, () => undefined);
    expect(groups.map((g) => g.key)).toEqual(['detector:payments-kpis', 'detector:golden-signals', 'detector:payment-errors']);
    expect(groups[0]!.firing.map((a) => a.labels['metric']).sort()).toEqual(['orders_per_minute', 'payment_success_rate']);
  }, 60_000);
});

describe('scheduledJobs and `sre-copilot schedules`', () => {
  afterEach(() => vi.restoreAllMocks());

  async function configWith(yaml: string, env: Record<string, string> = {}) {
    const home = await tmp();
    const file = path.join(home, 'sre-copilot.yaml');
    await writeFile(file, yaml);
    return loadConfig({ SRE_COPILOT_HOME: home, SRE_COPILOT_CONFIG: file, ...env });
  }

  it('lists the built-in job and the file\'s, with their next runs', async () => {
    const config = await configWith('schedules:\n  - name: payments-kpis\n    cron: "*/2 * * * *"\n    description: payment success and orders\n    metrics: [payment_success_rate, orders_per_minute]\n');
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    // listSchedules computes next runs from the wall clock (node-cron), so this is now; a few seconds of slack in case
    // a minute turns between the two clocks
    const now = new Date();
    const soon = (ms: number) => now.getTime() + ms + 5_000;
    await printSchedules(config, { json: true }, now);
    const { jobs } = JSON.parse(out.join('')) as { jobs: { name: string; cron: string; description: string; nextRunAt: number; lastRunAt: number | null }[] };
    expect(jobs.map((j) => [j.name, j.cron])).toEqual([['golden-signals', '* * * * *'], ['payments-kpis', '*/2 * * * *']]);
    const [builtIn, kpis] = jobs.map((j) => j.nextRunAt);
    expect(builtIn! > now.getTime() && builtIn! <= soon(60_000) && builtIn! % 60_000 === 0).toBe(true);
    expect(kpis! > now.getTime() && kpis! <= soon(120_000) && (kpis! / 60_000) % 2 === 0).toBe(true);
    expect(jobs[1]).toMatchObject({ description: 'payment success and orders', lastRunAt: null });

    out.length = 0;
    await printSchedules(config, {}, now);
    expect(out.join('')).toContain(`payments-kpis  (*/2 * * * *)  payment success and orders\n  last run: - (serve has not run it yet)\n  next run: ${new Date(kpis!).toISOString().replace('T', ' ').slice(0, 19)} UTC`);
    expect(out.join('')).toMatch(/^golden-signals {2}\(\* \* \* \* \*\) /m);
  });

  it('runs the built-in job alone when the file is bad, saying why in one line; the file\'s jobs alone when detection is off', async () => {
    const bad = await configWith('schedules:\n  - name: kpis\n    cron: "every minute"\n    metrics: [error_rate]\n');
    const lines: string[] = [];
    expect(scheduledJobs(bad, (l) => lines.push(l)).map((j) => j.name)).toEqual(['golden-signals']);
    expect(lines).toEqual([expect.stringMatching(/^schedules: the config file's jobs are not scheduled: SRE_COPILOT_CONFIG: .*sre-copilot\.yaml is invalid \(schedules\.0\.cron: .*\); the built-in golden-signals job runs alone$/)]);

    const off = await configWith('schedules:\n  - name: kpis\n    cron: "* * * * *"\n    metrics: [error_rate]\n', { SRE_COPILOT_DETECT_CRON: 'off' });
    expect(scheduledJobs(off).map((j) => j.name)).toEqual(['kpis']);
  });
});
