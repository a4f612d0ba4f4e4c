import type { Config } from '../config.js';
import { WATCHED_SIGNALS } from '../schedules/golden-signals.js';
import { startLiveSession } from './session.js';

/**
 * `demo --live`: the scenario world as a real deployment would look to SRE-Copilot — metrics scraped by a local
 * Prometheus, an alerting rule firing through a local Alertmanager into serve's webhook, spans and logs exported to
 * serve's OTLP receiver — and serve diagnosing it through the real connectors. When no rule fires (a fault that shows
 * as latency or saturation only), serve's scheduled detection finds it instead. Scored against the world's truth.
 */
export interface LiveDemoResult {
  scenario: string;
  seed: number;
  fault: { kind: string; target: string };
  /** how the incident was opened: an Alertmanager notification, or scheduled detection */
  openedBy: 'alert' | 'detection' | null;
  topCause: { target: string; kind: string; score: number } | null;
  hit1: boolean;
  incidentId: string | null;
  secondsToDiagnosis: number | null;
  error?: string;
}

export async function runLiveDemo(opts: { config: Config; scenario: string; seed: number; timeoutMs?: number; log: (line: string) => void; thread?: (chunk: string) => void }): Promise<LiveDemoResult> {
  const started = Date.now();
  const session = await startLiveSession({ config: opts.config, scenario: opts.scenario, seed: opts.seed, log: opts.log, ...(opts.thread ? { onStdout: opts.thread } : {}) });
  const truth = session.world.groundTruth;
  const result: LiveDemoResult = { scenario: opts.scenario, seed: opts.seed, fault: truth.fault, openedBy: null, topCause: null, hit1: false, incidentId: null, secondsToDiagnosis: null };
  try {
    opts.log('live: waiting for Prometheus to catch up on the world and for an alert (or scheduled detection) to open an incident…');
    await session.waitFor(/Ranked root-cause hypotheses|No root-cause hypothesis/, opts.timeoutMs ?? 240_000);
    result.secondsToDiagnosis = Math.round((Date.now() - started) / 100) / 10;
    const { listIncidents } = await import('../cli/incidents.js');
    const incidents = await listIncidents({ ...opts.config, home: session.serveHome });
    const first = incidents.at(-1);
    if (first) {
      result.incidentId = first.id;
      result.topCause = first.topCause;
      result.openedBy = WATCHED_SIGNALS.some((w) => first.title.startsWith(`${w.alertname} `)) ? 'detection' : 'alert';
      result.hit1 = first.topCause?.target === truth.fault.target && first.topCause.kind === truth.fault.kind;
    }
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    await session.close();
  }
  return result;
}
