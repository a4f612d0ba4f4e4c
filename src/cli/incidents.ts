import { z } from 'zod';
import { renderTable } from '../bench/table.js';
import type { Config } from '../config.js';
import { stepOutput } from '../investigation/run.js';
import { RANK, RankedSchema } from '../investigation/workflow.js';
import { APPROVAL, CONCLUDE, DecidedSchema, EXECUTE, ExecutedSchema, FinishedSchema, PendingApprovalSchema, VERIFY } from '../mastra/lifecycle.js';
import { openLifecycleRuns } from '../mastra/index.js';
import { ACTIVE_STATUSES, type LifecycleRun } from '../mastra/runs.js';
import { HypothesisSchema } from '../model/evidence.js';
import { type Incident, IncidentSchema } from '../model/incident.js';
import { openConfiguredStore } from '../storage/registry.js';
import type { IncidentStore } from '../storage/types.js';

/**
 * Where an incident stands, from its records and its lifecycle run: opened but not investigated yet (open), being
 * investigated, diagnosed (with no decision pending: no plan, rejected, a fix in progress or one that did not
 * recover), its plan awaiting approval, resolved (recovery verified), or abandoned (its run failed, or could not
 * be resumed after a restart).
 */
export const IncidentListingStatusSchema = z.enum(['open', 'investigating', 'diagnosed', 'awaiting-approval', 'resolved', 'abandoned']);
export type IncidentListingStatus = z.infer<typeof IncidentListingStatusSchema>;

/** One incident as `incidents --json` prints it. */
export interface IncidentListing {
  id: string;
  status: IncidentListingStatus;
  /** the top-ranked root cause, when there is a diagnosis */
  topCause: { target: string; kind: string; score: number } | null;
  channel: string;
  thread: string;
  title: string;
  severity: string;
  /** ISO 8601, the copilot's clock */
  openedAt: string;
  /** a few words on the status: approvals given, the decision, the fix, why it was abandoned */
  detail: string;
  /** the lifecycle workflow run (Mastra), null when none was started */
  runId: string | null;
}

/** The incidents kept under the copilot home, newest first. */
export async function listIncidents(config: Config, limit = 200): Promise<IncidentListing[]> {
  const store = await openConfiguredStore(config);
  const { runs, close } = await openLifecycleRuns(config.home, config.database);
  try {
    const latest = new Map((await runs.latestPerIncident(limit * 4)).map((r) => [r.incidentId, r]));
    const ids = [...new Set([...(await store.listIncidents()), ...latest.keys()])].slice(0, limit);
    const listed: IncidentListing[] = [];
    for (const id of ids) {
      const incident = IncidentSchema.safeParse(await store.get(id, 'incident')).data ?? latest.get(id)?.incident;
      if (incident) listed.push(await describe(store, incident, latest.get(id) ?? null));
    }
    return listed.sort((a, b) => b.openedAt.localeCompare(a.openedAt));
  } finally {
    await close();
    await store.close();
  }
}

async function describe(store: IncidentStore, incident: Incident, run: LifecycleRun | null): Promise<IncidentListing> {
  const listed = run ? fromRun(run) : fromRecord(incident);
  // an incident closed at its source (the alert resolved) is resolved, whatever its run still waits for
  const { status, detail } = incident.status === 'resolved' && listed.status !== 'resolved' ? { status: 'resolved' as const, detail: `closed at the source; ${listed.detail}` } : listed;
  const recorded = z.array(HypothesisSchema).safeParse(await store.get(incident.id, 'hypotheses')).data;
  const top = recorded?.[0] ?? (run ? safely(() => stepOutput(run.steps, RANK, RankedSchema))?.ranked[0] : undefined);
  return {
    id: incident.id,
    status,
    topCause: top ? { target: top.component, kind: top.kind, score: top.score } : null,
    channel: incident.thread.channel,
    thread: incident.thread.threadId,
    title: incident.title,
    severity: incident.severity,
    openedAt: new Date(incident.createdAt).toISOString(),
    detail,
    runId: run?.runId ?? null,
  };
}

/** The run is the source of truth from the moment the investigation started. */
function fromRun(run: LifecycleRun): { status: IncidentListingStatus; detail: string } {
  const out = <S extends z.ZodType>(id: string, schema: S) => safely(() => stepOutput(run.steps, id, schema));
  if (run.status === 'failed' || run.status === 'canceled') return { status: 'abandoned', detail: run.error ?? `the run ${run.status === 'failed' ? 'failed' : 'was abandoned'}` };
  if (ACTIVE_STATUSES.has(run.status)) {
    if (run.steps[CONCLUDE]?.status !== 'success') return { status: 'investigating', detail: 'the experts are at work' };
    return { status: 'diagnosed', detail: run.steps[EXECUTE]?.status === 'success' ? 'verifying the fix' : 'running the approved fix' };
  }
  if (run.status === 'suspended') {
    const waiting = PendingApprovalSchema.safeParse(run.steps[APPROVAL]?.suspendPayload);
    if (!waiting.success || !waiting.data.planId) return { status: 'diagnosed', detail: 'no plan proposed' };
    const given = waiting.data.approvals.map((a) => a.actor);
    return { status: 'awaiting-approval', detail: given.length ? `approved so far by ${given.join(', ')}` : 'no decision yet' };
  }
  const decided = out(APPROVAL, DecidedSchema);
  const executed = out(EXECUTE, ExecutedSchema);
  const verified = out(VERIFY, FinishedSchema)?.verification;
  if (verified?.recovered) return { status: 'resolved', detail: `fix by ${decided?.approval?.actor ?? 'an approver'}; recovery verified` };
  if (decided?.decision === 'rejected') return { status: 'diagnosed', detail: `plan rejected by ${decided.approval?.actor}` };
  if (executed?.execution?.status === 'failed') return { status: 'diagnosed', detail: 'the fix failed at a step; a rollback is on offer' };
  if (verified) return { status: 'diagnosed', detail: 'the fix ran; the metrics did not recover' };
  return { status: 'diagnosed', detail: run.status };
}

/** Without a run: opened and not yet investigated, or recorded before incidents became workflow runs. */
function fromRecord(incident: Incident): { status: IncidentListingStatus; detail: string } {
  switch (incident.status) {
    case 'investigating':
      return { status: 'open', detail: 'no investigation has started; the next start of the copilot begins it' };
    case 'resolved':
      return { status: 'resolved', detail: 'recovery verified' };
    case 'unresolved':
      return { status: 'diagnosed', detail: 'the fix ran; the metrics did not recover' };
    default:
      return { status: 'diagnosed', detail: incident.status };
  }
}

function safely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** `sre-copilot incidents [--json]`. */
export async function printIncidents(config: Config, opts: { json?: boolean; limit?: number } = {}): Promise<void> {
  const incidents = await listIncidents(config, opts.limit);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ incidents }, null, 2)}\n`);
    return;
  }
  if (incidents.length === 0) {
    process.stdout.write(`No incidents under ${config.home}.\n`);
    return;
  }
  const rows = incidents.map((i) => [i.id, i.status, i.topCause ? `${i.topCause.kind} on ${i.topCause.target}` : '-', `${i.channel} ${i.thread}`, i.title, i.detail]);
  process.stdout.write(`${renderTable(['INCIDENT', 'STATUS', 'TOP CAUSE', 'THREAD', 'TITLE', 'DETAIL'], rows)}\n`);
}
