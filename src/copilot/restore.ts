import type { ChatChannel } from '../chat/channel.js';
import * as msg from '../chat/messages.js';
import { investigationResult, stepOutput } from '../investigation/run.js';
import { APPROVAL, CONCLUDE, ConcludedSchema, DecidedSchema, EXECUTE, ExecutedSchema, FinishedSchema, type IncidentHost, PendingApprovalSchema, VERIFY } from '../mastra/lifecycle.js';
import { ACTIVE_STATUSES, type LifecycleRun, type LifecycleRuns } from '../mastra/runs.js';
import { type Incident, IncidentSchema } from '../model/incident.js';
import { type RemediationPlan, RemediationPlanSchema } from '../model/remediation.js';
import type { Cmdb } from '../model/telemetry.js';
import type { IncidentStore } from '../storage/types.js';
import type { IncidentSession } from './types.js';

/**
 * Rebuilds an incident's session from its lifecycle run as storage keeps it (after a restart): the investigation's
 * step outputs, the diagnosis, the approvals given so far (the suspended approval step's payload) or the decision,
 * the execution and the verification. The plan is the newest proposal: the run's, or a script that replaced it
 * later (kept in the incident records). Null before the diagnosis was concluded, or when a stored output does not
 * parse.
 */
export async function sessionFromRun(run: LifecycleRun, store: IncidentStore, expertIds: readonly string[], cmdb: Cmdb): Promise<IncidentSession | null> {
  try {
    const concluded = stepOutput(run.steps, CONCLUDE, ConcludedSchema);
    const investigated = investigationResult(run.steps, expertIds, cmdb);
    if (!concluded || !investigated) return null;
    const recorded = RemediationPlanSchema.safeParse(await store.get(run.incidentId, 'plan')).data ?? null;
    const plan = newestPlan(investigated.plan, recorded, concluded.report.createdAt);
    const decided = stepOutput(run.steps, APPROVAL, DecidedSchema);
    const waiting = PendingApprovalSchema.safeParse(run.steps[APPROVAL]?.suspendPayload);
    const pending = decided ? decided.coApprovals : waiting.success ? waiting.data.approvals.filter((a) => a.planId === plan?.id && a.planHash === plan?.hash) : [];
    const verified = stepOutput(run.steps, VERIFY, FinishedSchema);
    const incident = verified?.verification ? { ...concluded.incident, status: verified.verification.recovered ? ('resolved' as const) : ('unresolved' as const) } : concluded.incident;
    const execution = stepOutput(run.steps, EXECUTE, ExecutedSchema)?.execution ?? null;
    return {
      runId: run.runId,
      incident,
      result: { ...investigated, incident, plan },
      report: concluded.report,
      approval: decided?.approval ?? null,
      approvals: pending,
      execution,
      verification: verified?.verification ?? null,
      ...(execution ? { fixedAtMs: execution.finishedAt } : {}),
      ...(concluded.explanation ? { explanation: concluded.explanation } : {}),
    };
  } catch {
    return null;
  }
}

/**
 * A script proposed after the diagnosis replaces the run's plan; the records keep the latest proposal. Both times
 * are the copilot's clock; `concludedAt` keeps a plan of an earlier run of the incident out of a run without one.
 */
function newestPlan(fromRun: RemediationPlan | null, recorded: RemediationPlan | null, concludedAt: number): RemediationPlan | null {
  if (!recorded) return fromRun;
  if (!fromRun) return recorded.createdAt >= concludedAt ? recorded : null;
  return recorded.incidentId === fromRun.incidentId && recorded.createdAt > fromRun.createdAt ? recorded : fromRun;
}

/** What restoring a channel's incidents needs from its copilot. */
export interface RestoreOptions {
  /** runs the interrupted work (resumed runs, never-started investigations) as a job of the caller's; default: awaited */
  background?: (job: () => Promise<void>) => void;
}

export interface RestoreContext {
  runs: LifecycleRuns;
  store: IncidentStore;
  channel: ChatChannel;
  expertIds: readonly string[];
  cmdb(): Promise<Cmdb>;
  sessions: Map<string, IncidentSession>;
  hostFor(incident: Incident): IncidentHost;
  /** investigates an incident from the start (one whose run never began) */
  investigate(incident: Incident): Promise<IncidentSession>;
  /**
   * Cluster mode: investigations are queue jobs that workers run. Interrupted runs are then the queue's to retry (a
   * worker's lock expires and another takes the job), never resumed here, where another worker may be running them;
   * an incident whose investigation never began is handed to the queue again (its job id makes that harmless).
   */
  dispatch?: (incident: Incident) => Promise<void>;
}

/**
 * After a restart, for one chat channel (oldest first, so the newest session is the copilot's latest):
 * - a run suspended at the approval step comes back as a session with the approvals already given;
 * - a run the crash interrupted (an investigation, a fix, its verification) is restarted where it stopped, with a
 *   notice in its thread; one that cannot be is marked abandoned (Mastra: canceled), with a notice;
 * - an incident opened but never investigated (the crash came before its run began) is investigated now.
 * Runs that finished (decided, executed, verified) are not brought back, so nothing decides or runs them again.
 * Returns the sessions that now wait on a decision. With `background`, the suspended sessions are back when it
 * returns and the interrupted work (which can take as long as a fix's verification window) goes on in that job, so a
 * server can take requests meanwhile.
 */
export async function restoreIncidents(ctx: RestoreContext, limit: number, opts: RestoreOptions = {}): Promise<IncidentSession[]> {
  const runs = await ctx.runs.latestPerIncident();
  const mine = runs.filter((r) => r.incident?.thread.channel === ctx.channel.name).slice(0, limit).reverse();
  // a data source that is down now fails the steps that need it (and abandons their runs), not the restore
  const cmdb = await ctx.cmdb().catch((): Cmdb => ({ services: [], hosts: [], changes: [] }));
  const waiting: IncidentSession[] = [];
  const keep = (id: string, session: IncidentSession | null) => {
    if (!session) return;
    ctx.sessions.set(id, session);
    if (!session.approval && !session.execution) waiting.push(session);
  };
  const interrupted: (() => Promise<void>)[] = [];
  for (const run of mine) {
    if (ctx.sessions.has(run.incidentId)) continue;
    if (run.status === 'suspended') keep(run.incidentId, await sessionFromRun(run, ctx.store, ctx.expertIds, cmdb));
    else if (ACTIVE_STATUSES.has(run.status) && !ctx.dispatch) interrupted.push(async () => keep(run.incidentId, await resumeRun(ctx, run, cmdb)));
  }
  const withRun = new Set(runs.map((r) => r.incidentId));
  for (const id of (await ctx.store.listIncidents()).slice(0, limit).reverse()) {
    if (withRun.has(id) || ctx.sessions.has(id)) continue;
    const incident = IncidentSchema.safeParse(await ctx.store.get(id, 'incident'));
    if (!incident.success || incident.data.thread.channel !== ctx.channel.name || incident.data.status !== 'investigating') continue;
    const { dispatch } = ctx;
    if (dispatch) {
      interrupted.push(() => dispatch(incident.data));
      continue;
    }
    interrupted.push(async () => {
      await ctx.channel.post(incident.data.thread, { text: '🔁 sre-copilot restarted before this investigation began; starting it now.' });
      try {
        waiting.push(await ctx.investigate(incident.data));
      } catch (err) {
        await ctx.channel.post(incident.data.thread, msg.errorMessage(`investigation failed: ${(err as Error).message}`));
      }
    });
  }
  const resumeAll = async () => {
    for (const job of interrupted) await job();
  };
  if (opts.background && interrupted.length > 0) opts.background(resumeAll);
  else await resumeAll();
  return waiting;
}

export type QueuedOutcome = 'investigated' | 'resumed' | 'settled' | 'missing';

/**
 * A worker's investigation job for a stored incident. Run once per job; a job a dead worker held comes back to another
 * worker, which finds the run the first one left: an interrupted run is restarted where it stopped (the steps it had
 * finished, and what they posted, are not done again); a run that already reached its decision or its end is left as
 * it is (a duplicate job); no run yet means the investigation starts now.
 */
export async function runQueuedIncident(ctx: RestoreContext, incidentId: string): Promise<QueuedOutcome> {
  const incident = IncidentSchema.safeParse(await ctx.store.get(incidentId, 'incident'));
  if (!incident.success) return 'missing';
  const run = await ctx.runs.latestOf(incidentId);
  if (!run) {
    await ctx.investigate(incident.data);
    return 'investigated';
  }
  const cmdb = await ctx.cmdb().catch((): Cmdb => ({ services: [], hosts: [], changes: [] }));
  if (ACTIVE_STATUSES.has(run.status)) {
    const session = await resumeRun(ctx, run, cmdb, 'a worker stopped');
    if (!session) throw new Error(`${incidentId} could not be resumed`);
    return 'resumed';
  }
  if (run.status === 'suspended') await keepSuspended(ctx, run, cmdb);
  return 'settled';
}

/**
 * The session of an incident whose latest run waits on a decision, read back into `ctx.sessions` (a process that did
 * not investigate it: serve, where a click on a worker's plan lands); undefined when no run of it waits.
 */
export async function loadSuspended(ctx: RestoreContext, incidentId: string): Promise<IncidentSession | undefined> {
  const run = await ctx.runs.latestOf(incidentId);
  if (run?.status !== 'suspended') return undefined;
  return keepSuspended(ctx, run, await ctx.cmdb());
}

async function keepSuspended(ctx: RestoreContext, run: LifecycleRun, cmdb: Cmdb): Promise<IncidentSession | undefined> {
  if (!ctx.sessions.has(run.incidentId)) {
    const session = await sessionFromRun(run, ctx.store, ctx.expertIds, cmdb);
    if (session) ctx.sessions.set(run.incidentId, session);
  }
  return ctx.sessions.get(run.incidentId);
}

/** Restarts an interrupted run where it stopped; the session it arrives at (null: abandoned, with a notice). */
async function resumeRun(ctx: RestoreContext, run: LifecycleRun, cmdb: Cmdb, why = 'sre-copilot restarted'): Promise<IncidentSession | null> {
  const incident = run.incident!;
  await ctx.channel.post(incident.thread, { text: `🔁 ${why} while ${phaseOf(run)}; picking it up where it stopped…` });
  // from the diagnosis on, the steps act on the session: it is rebuilt before the run goes on
  const before = await sessionFromRun(run, ctx.store, ctx.expertIds, cmdb);
  if (before) ctx.sessions.set(run.incidentId, before);
  else if (run.steps[CONCLUDE]?.status === 'success') return abandon(ctx, run, 'its stored diagnosis could not be read back');
  try {
    const outcome = await ctx.runs.restart(run.runId, ctx.hostFor(incident));
    if (outcome.status === 'failed') return abandon(ctx, run, outcome.error ?? 'a step failed', false);
    return ctx.sessions.get(run.incidentId) ?? null;
  } catch (err) {
    return abandon(ctx, run, (err as Error).message);
  }
}

async function abandon(ctx: RestoreContext, run: LifecycleRun, reason: string, cancel = true): Promise<null> {
  ctx.sessions.delete(run.incidentId);
  if (cancel) await ctx.runs.cancel(run.runId).catch(() => undefined);
  await ctx.channel.post(run.incident!.thread, msg.errorMessage(`This incident could not be resumed after the restart (${reason}); it is marked abandoned. Send the alert again, or ask me to diagnose, to start over.`));
  return null;
}

function phaseOf(run: LifecycleRun): string {
  const done = (id: string) => run.steps[id]?.status === 'success';
  if (!done(CONCLUDE)) return 'investigating this incident';
  if (!done(APPROVAL)) return 'recording a decision on the plan';
  if (!done(EXECUTE)) return 'running the approved fix';
  return 'verifying the fix';
}
