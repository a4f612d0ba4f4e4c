import { startLiveSession } from '../live/session.js';
import { renderTable } from './table.js';
import type { BenchSuite } from './types.js';

/**
 * bench live: how fast a real alert becomes a threaded diagnosis. The live set-up (src/live/session.ts: the scenario
 * world scraped by a local Prometheus, its spans and logs in serve's OTLP receiver, serve as its own process) without
 * alerting rules or scheduled detection, so that only the measured notifications open incidents. Once Prometheus
 * holds the world's history, the world's alert is delivered as an Alertmanager v4 webhook (a new group each time,
 * resolved afterwards), and serve's thread is watched for the first expert finding and for the ranked causes.
 * Targets (issue 11): first finding < 2 s, diagnosis < 10 s on a 2-core machine.
 */
export const liveSuite: BenchSuite = {
  name: 'live',
  description: 'Alertmanager webhook → first threaded finding and → diagnosis, from Prometheus and OTLP (params scenario, seed, runs)',
  async run({ config, params, progress }) {
    const scenario = params.scenario ?? 'bad-deploy-payment';
    const seed = Number(params.seed ?? 1);
    const runs = Math.max(1, Math.min(20, Number(params.runs ?? 5)));
    const session = await startLiveSession({ config, scenario, seed, log: progress, detectCron: 'off', rules: [] });
    const rows: { run: number; firstFindingS: number; diagnosisS: number; top: string }[] = [];
    try {
      const deadline = Date.now() + 120_000;
      while (!session.endpoint.caughtUp() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      // a few scrapes more, so the last minutes are in Prometheus, not only served
      await new Promise((r) => setTimeout(r, 3_000));
      const payload = session.world.alertPayload() as { alerts: Record<string, unknown>[] } & Record<string, unknown>;
      for (let run = 1; run <= runs; run++) {
        progress(`live: run ${run}/${runs}`);
        const groupKey = `{}:{bench="live",run="${run}"}`;
        const at = new Date().toISOString();
        const firing = { ...payload, groupKey, alerts: payload.alerts.map((a) => ({ ...a, startsAt: at })) };
        const from = session.transcript().length;
        const sent = performance.now();
        await deliver(session.serve.url, session.token, firing);
        await session.waitFor(/🔎 \S+ expert: \d+ finding/, 30_000, from);
        const firstFinding = performance.now();
        await session.waitFor(/Ranked root-cause hypotheses|No root-cause hypothesis/, 60_000, from);
        const diagnosis = performance.now();
        const top = /🎯 Ranked root-cause hypotheses\n│ 1\. (.+?) ▇/.exec(session.transcript().slice(from))?.[1] ?? '—';
        rows.push({ run, firstFindingS: round((firstFinding - sent) / 1000), diagnosisS: round((diagnosis - sent) / 1000), top });
        const resolved = { ...firing, status: 'resolved', alerts: firing.alerts.map((a) => ({ ...a, status: 'resolved', endsAt: new Date().toISOString() })) };
        const before = session.transcript().length;
        await deliver(session.serve.url, session.token, resolved);
        await session.waitFor(/resolved at the source/, 30_000, before);
      }
    } finally {
      await session.close();
    }
    const sorted = (k: 'firstFindingS' | 'diagnosisS') => rows.map((r) => r[k]).sort((a, b) => a - b);
    const median = (xs: number[]) => xs[Math.floor((xs.length - 1) / 2)] ?? 0;
    const summary = {
      scenario,
      seed,
      runs: rows.length,
      firstFindingMedianS: median(sorted('firstFindingS')),
      firstFindingMaxS: sorted('firstFindingS').at(-1) ?? 0,
      diagnosisMedianS: median(sorted('diagnosisS')),
      diagnosisMaxS: sorted('diagnosisS').at(-1) ?? 0,
      targets: { firstFindingS: 2, diagnosisS: 10 },
    };
    const table = renderTable(['run', 'webhook → first finding (s)', 'webhook → diagnosis (s)', 'top cause'], rows.map((r) => [r.run, r.firstFindingS, r.diagnosisS, r.top]));
    const text = `Live: ${scenario} (seed ${seed}) through Prometheus + OTLP, serve as its own process\n\n${table}\n\nmedian first finding ${summary.firstFindingMedianS} s (max ${summary.firstFindingMaxS}; target < 2 s), median diagnosis ${summary.diagnosisMedianS} s (max ${summary.diagnosisMaxS}; target < 10 s)`;
    return { suite: 'live', text, json: { summary, runs: rows } };
  },
};

async function deliver(serveUrl: string, token: string, payload: unknown): Promise<void> {
  const res = await fetch(`${serveUrl}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(payload) });
  const text = await res.text();
  if (res.status !== 202) throw new Error(`serve answered the webhook ${res.status}: ${text.slice(0, 200)}`);
}

const round = (x: number) => Math.round(x * 100) / 100;
