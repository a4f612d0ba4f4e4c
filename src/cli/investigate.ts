import type { Config } from '../config.js';
import type { Alert } from '../model/incident.js';
import { missingSignals } from '../report/markdown.js';

/**
 * `sre-copilot investigate`: one investigation over the configured sources (the scenario world when none is), the
 * same one the chat path runs, printed as the ranked causes. Nothing is executed: the plan is shown, not proposed in
 * a chat, and the incident is kept in the store like any other (so `incidents` lists it).
 */
export interface InvestigateOptions {
  service?: string;
  /** how long ago the trouble began: the investigation reads from there back into a baseline, up to now */
  sinceMs: number;
  json?: boolean;
  scenario: string;
  seed: number;
}

export interface InvestigateOutput {
  incident: string;
  source: { mode: 'world' | 'live'; label: string };
  window: { from: string; to: string };
  ranking: { component: string; kind: string; score: number; confidence: number; onset: string; evidence: string[] }[];
  verdict: string;
  plan: { title: string; risk: string; steps: string[] } | null;
  missingSignals: string[];
  failedSources: { source: string; error: string }[];
  report: string;
}

/** Parses "15m", "2h", "90s", "1d" (a bare number is minutes). */
export function parseSince(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$/i.exec(text);
  if (!m) throw new Error(`--since takes a duration like 15m, 2h or 90s, got "${text}"`);
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'm').toLowerCase() as 's' | 'm' | 'h' | 'd'];
  const ms = Number(m[1]) * unit;
  if (ms <= 0 || ms > 7 * 86_400_000) throw new Error('--since must be more than 0 and at most 7 days');
  return ms;
}

export async function runInvestigate(config: Config, opts: InvestigateOptions): Promise<InvestigateOutput> {
  const [{ createServeRuntime }, { createChannel }] = await Promise.all([import('../runtime.js'), import('../bot/registry.js')]);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const runtime = await createServeRuntime({ config, scenario: opts.scenario, seed: opts.seed, purpose: 'investigate', log });
  try {
    // the thread goes to stderr on a terminal (progress as it happens), nowhere when the output is JSON for a script
    const channel = createChannel('console', { stream: opts.json || !process.stderr.isTTY ? null : process.stderr });
    const copilot = runtime.copilotFor(channel);
    if (opts.service) {
      const known = (await runtime.connectors.cmdb.snapshot()).services.map((s) => s.name);
      if (known.length > 0 && !known.includes(opts.service)) log(`investigate: "${opts.service}" is not a service the sources know (${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''}); investigating anyway`);
    }
    const now = runtime.now();
    const alert: Alert = {
      name: opts.service ? `Investigation of ${opts.service}` : 'Investigation requested',
      severity: 'warning',
      ...(opts.service ? { service: opts.service } : {}),
      summary: `asked from the command line: trouble since ${new Date(now - opts.sinceMs).toISOString()}`,
      labels: opts.service ? { service: opts.service } : {},
      startsAt: now - opts.sinceMs,
      source: 'cli',
    };
    const outcome = await copilot.handleSignal({ kind: 'alert', alert, receivedAt: now });
    if (!outcome.ok) throw new Error(outcome.error);
    const { session } = outcome;
    const { result } = session;
    const source = runtime.source();
    const note = source.note();
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      incident: session.incident.id,
      source: { mode: source.mode, label: source.label },
      window: { from: iso(result.window.fromMs), to: iso(result.window.toMs) },
      ranking: result.ranked.map((h) => ({ component: h.component, kind: h.kind, score: round(h.score), confidence: round(h.confidence), onset: iso(h.onsetMs), evidence: h.evidence.slice(0, 4) })),
      verdict: result.reflection.verdict,
      plan: result.plan ? { title: result.plan.title, risk: result.plan.risk, steps: result.plan.steps.map((s) => `${s.action} ${s.target}`) } : null,
      missingSignals: note ? missingSignals(note) : [],
      failedSources: note?.failures ?? [],
      report: session.report.path,
    };
  } finally {
    await runtime.close();
  }
}

export function formatInvestigation(out: InvestigateOutput): string {
  const lines = [`${out.incident} — ${out.source.label}`, `window ${out.window.from} → ${out.window.to}`, ''];
  if (out.ranking.length === 0) lines.push('No root-cause hypothesis: the experts found nothing unusual in this window.');
  out.ranking.slice(0, 5).forEach((h, i) => lines.push(`${i + 1}. ${h.component} — ${h.kind} (score ${h.score}, confidence ${Math.round(h.confidence * 100)} %, onset ${h.onset})`));
  if (out.ranking.length > 0) lines.push('', `reflection: ${out.verdict}`);
  if (out.plan) lines.push(`plan: ${out.plan.title} (${out.plan.risk} risk; not executed — approve it in chat)`);
  if (out.missingSignals.length > 0) lines.push(`missing signals: ${out.missingSignals.join(', ')} (no configured source gives them)`);
  for (const f of out.failedSources) lines.push(`source failed: ${f.source}: ${f.error}`);
  lines.push(`report: ${out.report}`);
  return lines.join('\n');
}

const round = (x: number) => Math.round(x * 1000) / 1000;
