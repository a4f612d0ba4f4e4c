/** ScenarioWorld: runs the engine, renders minutes into files, exposes the alert, ground truth and actions. */
import type { ActionKind } from '../model/remediation.js';
import { performAction } from './actions.js';
import { type FiredAlert, alertPayload, evaluateAlert } from './alerts.js';
import { Engine } from './engine.js';
import { renderLogs } from './logs.js';
import type { Frame } from './state.js';
import { SERVICES, buildCmdb } from './topology.js';
import { renderTraces } from './traces.js';
import type { ActionResult, GroundTruth, ScenarioDef, ScenarioWorld } from './types.js';
import { type Chunk, TelemetryWriter } from './writer.js';

const LOG_SERVICES = SERVICES.filter((s) => s.logFormat).map((s) => s.name);

function fmtValue(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Math.round(v * 10000) / 10000);
}

/** CSV rows, log lines and the OTLP line for one minute */
export function renderFrame(f: Frame, seed: number): { metrics: string[]; logs: Map<string, string[]>; spans: string; spanCount: number } {
  const ts = new Date(f.tsMs).toISOString();
  const metrics: string[] = [];
  for (const [key, v] of f.obs) {
    const [entity, metric] = key.split('|');
    metrics.push(`${ts},${entity},${metric},${fmtValue(v)}`);
  }
  const tr = renderTraces(f, seed);
  return { metrics, logs: renderLogs(f, seed, tr.ids), spans: tr.line, spanCount: tr.spanCount };
}

export class World implements ScenarioWorld {
  readonly groundTruth: GroundTruth;
  private readonly eng: Engine;
  private readonly alert: FiredAlert;
  private readonly writer: TelemetryWriter;
  private written = 0;
  private started = false;
  private actions: { atMs: number; action: ActionKind; target: string; ok: boolean; fixed: boolean }[] = [];

  constructor(
    readonly def: ScenarioDef,
    readonly seed: number,
    readonly dir: string,
  ) {
    this.eng = new Engine(def, seed);
    this.writer = new TelemetryWriter(dir);
    // the alert goes out at the end of its minute: at most 10 (memory leak: 20) minutes after onset
    const maxDelay = def.fault.kind === 'memory_leak' ? 19 : 9;
    let fired: FiredAlert | undefined;
    while (!fired) {
      const f = this.eng.step();
      fired = evaluateAlert(this.eng.frames, this.eng.onset, f.minute, maxDelay);
    }
    this.alert = fired;
    this.groundTruth = {
      scenario: def.name,
      seed,
      fault: { ...def.fault },
      onsetMs: this.eng.tsOf(this.eng.onset),
      alertMs: this.eng.tsOf(fired.minute + 1),
      fixedBy: this.eng.fault.fixedBy(),
      alertName: fired.rule.name,
      startMs: this.eng.t0,
    };
  }

  now(): number {
    return this.eng.tsOf(this.eng.frames.length);
  }

  alertPayload(): unknown {
    return alertPayload(this.alert, this.groundTruth.alertMs);
  }

  /** the engine's frames (simulation state per minute), for tests and tooling */
  get frames(): readonly Frame[] {
    return this.eng.frames;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.writer.reset(LOG_SERVICES);
    await this.flush();
    await this.writer.writeJson('alerts/1.json', this.alertPayload());
    await this.writer.writeJson('ground-truth.json', { ...this.groundTruth, description: this.def.description });
  }

  applyAction(action: ActionKind, target: string, params: Record<string, string | number | boolean>): ActionResult {
    if (!this.started) return { ok: false, output: 'the world has not been started yet', fixed: false };
    const res = performAction(this.eng, action, target, params);
    this.actions.push({ atMs: this.now(), action, target, ok: res.ok, fixed: res.fixed });
    return res;
  }

  /** actions applied so far, in order */
  appliedActions(): readonly { atMs: number; action: ActionKind; target: string; ok: boolean; fixed: boolean }[] {
    return this.actions;
  }

  async advance(minutes: number): Promise<void> {
    if (!this.started) await this.start();
    for (let k = 0; k < Math.max(0, Math.floor(minutes)); k++) this.eng.step();
    await this.flush();
  }

  private async flush(): Promise<void> {
    const chunk: Chunk = { metrics: [], logs: new Map(), spans: [] };
    for (; this.written < this.eng.frames.length; this.written++) {
      const f = this.eng.frames[this.written];
      if (!f) break;
      const r = renderFrame(f, this.seed);
      chunk.metrics.push(...r.metrics);
      chunk.spans.push(r.spans);
      for (const [svc, lines] of r.logs) {
        const acc = chunk.logs.get(svc);
        if (acc) acc.push(...lines);
        else chunk.logs.set(svc, [...lines]);
      }
    }
    await this.writer.append(chunk);
    const now = this.now();
    await this.writer.writeYaml('cmdb.yaml', buildCmdb(this.eng.carry.versions, this.eng.changes.filter((c) => c.ts < now)));
  }
}
