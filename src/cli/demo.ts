import { createInterface } from 'node:readline/promises';
import type { ChatChannel } from '../chat/channel.js';
import type { Config } from '../config.js';
import { createScenarioRuntime, type MetricsVia } from '../runtime.js';
import { listScenarios } from '../world/index.js';

export interface ScenarioScore {
  name: string;
  fault: { kind: string; target: string };
  topCauses: { target: string; kind: string; score: number }[];
  hit1: boolean;
  hit3: boolean;
  fixed: boolean;
  recovered: boolean;
  elapsedMs: number;
  incidentId?: string;
  report?: string;
  /** what the knowledge base cited for the diagnosis */
  citations?: { kind: string; source: string; title: string }[];
  error?: string;
}

export interface DemoSummary {
  scenarios: ScenarioScore[];
  summary: { n: number; top1: number; top3: number; fixed: number; recovered: number };
}

export interface DemoOptions {
  config: Config;
  scenarios: string[];
  seed: number;
  approve: 'yes' | 'ask' | 'no';
  /** show what the plan would do (pre-checks and the executor's dry run) instead of deciding on it */
  dryRun?: boolean;
  channelFor: (scenario: string) => ChatChannel;
  onScenarioDone?: (score: ScenarioScore, index: number, total: number) => void;
  /** read the world's metrics through another source (bench scenarios --via prometheus) */
  metricsVia?: MetricsVia;
}

/** Resolves "all" or a name into scenario names; unknown names throw with the list of valid ones. */
export function resolveScenarios(name: string): string[] {
  const all = listScenarios().map((s) => s.name);
  if (name === 'all') return all;
  if (!all.includes(name)) throw new Error(`unknown scenario "${name}"; choose one of: all, ${all.join(', ')}`);
  return [name];
}

/** Plays scenarios end to end — alert, diagnosis, report, plan, approval, fix, verification — and scores them. */
export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const scores: ScenarioScore[] = [];
  for (const [index, name] of opts.scenarios.entries()) {
    const started = performance.now();
    const runtime = await createScenarioRuntime({ config: opts.config, scenario: name, seed: opts.seed, channel: opts.channelFor(name), ...(opts.metricsVia ? { metricsVia: opts.metricsVia } : {}) });
    const truth = runtime.world.groundTruth;
    const score: ScenarioScore = { name, fault: truth.fault, topCauses: [], hit1: false, hit3: false, fixed: false, recovered: false, elapsedMs: 0 };
    try {
      const opened = await runtime.copilot.handleAlertText(JSON.stringify(runtime.world.alertPayload()));
      if (!opened.ok) throw new Error(opened.error);
      const { session } = opened;
      score.incidentId = session.incident.id;
      score.topCauses = session.result.ranked.slice(0, 3).map((h) => ({ target: h.component, kind: h.kind, score: h.score }));
      const matches = (c: { target: string; kind: string }) => c.target === truth.fault.target && c.kind === truth.fault.kind;
      score.hit1 = score.topCauses.length > 0 && matches(score.topCauses[0]!);
      score.hit3 = score.topCauses.some(matches);
      if (session.result.plan && opts.dryRun) {
        const dry = await runtime.copilot.dryRun(session.incident.id);
        if (!dry.ok) throw new Error(dry.error);
      } else if (session.result.plan && (await shouldApprove(opts.approve, session.result.plan.title))) {
        const decided = await runtime.copilot.decide(session.incident.id, opts.config.user, 'approved');
        if (decided.ok) {
          const steps = session.result.plan.steps;
          score.fixed = decided.session.execution?.status === 'succeeded' && steps.some((s) => truth.fixedBy.some((f) => f.action === s.action && f.target === s.target));
          score.recovered = decided.session.verification?.recovered ?? false;
        }
      }
      score.report = session.report.path;
      score.citations = (session.citations ?? []).map(({ kind, source, title }) => ({ kind, source, title }));
    } catch (err) {
      score.error = (err as Error).message;
    } finally {
      await runtime.close();
    }
    score.elapsedMs = Math.round(performance.now() - started);
    scores.push(score);
    opts.onScenarioDone?.(score, index, opts.scenarios.length);
  }
  const n = scores.length;
  const share = (k: 'hit1' | 'hit3' | 'fixed' | 'recovered') => (n === 0 ? 0 : round(scores.filter((s) => s[k]).length / n));
  return { scenarios: scores, summary: { n, top1: share('hit1'), top3: share('hit3'), fixed: share('fixed'), recovered: share('recovered') } };
}

async function shouldApprove(mode: DemoOptions['approve'], title: string): Promise<boolean> {
  if (mode !== 'ask') return mode === 'yes';
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`\nApprove "${title}"? [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;
