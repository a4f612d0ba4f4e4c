import { z } from 'zod';
import type { Incident } from '../model/incident.js';
import type { JobQueue } from './types.js';

/**
 * The jobs serve hands to workers in cluster mode. An incident's investigation: serve opens the incident (stored,
 * thread started) and queues this; a worker runs it. The job id is the incident's, so a second hand-over of the
 * same incident (a restart of serve re-queueing what never began) adds nothing.
 */
export const INVESTIGATE_JOB = 'investigate';

export const InvestigateJobSchema = z.object({
  incidentId: z.string().min(1).max(200),
  /** the chat channel the incident's thread is in (slack, discord, console) */
  channel: z.string().min(1).max(40),
});
export type InvestigateJob = z.infer<typeof InvestigateJobSchema>;

export function dispatchInvestigations(queue: JobQueue): (incident: Incident) => Promise<void> {
  return (incident) => queue.add<InvestigateJob>(INVESTIGATE_JOB, { incidentId: incident.id, channel: incident.thread.channel }, { jobId: `investigate:${incident.id}` });
}
