import path from 'node:path';
import { parseAlert } from '../alerts/index.js';
import type { Config } from '../config.js';
import type { MetricsSource } from '../connectors/types.js';
import type { Conversation } from '../copilot/conversation.js';
import type { AlertGroup } from '../copilot/alert-groups.js';
import type { Alert } from '../model/incident.js';
import { BUILT_IN_DETECTOR, symptomAlert, type Symptom } from './golden-signals.js';
import { scheduledJobs } from './file-jobs.js';
import type { DetectionNews } from './jobs.js';
import { Scheduler } from './scheduler.js';
import type { JobQueue } from '../queue/types.js';

/**
 * Scheduled detection in serve: the detection jobs over the runtime's metrics, on the data's clock. What a run finds
 * travels as one alert group, like an Alertmanager notification: the first symptoms open one incident (correlated
 * symptoms — a failing service, its callers, the orders it costs — are one problem, investigated once), symptoms
 * found later join it with a note, an escalation is said in its thread, and once every symptom is back to normal the
 * group is resolved and the incident closed. Charts of new symptoms are posted in the thread. Each job (the built-in
 * one, the config file's) is its own group: one job's quiet run must not resolve what another still sees; groups
 * about the same components still join one incident (AlertGroups correlates them), closed when the last resolves.
 */
export const DETECTION_GROUP = `detector:${BUILT_IN_DETECTOR}`;

/** The alert group key of a detection job's news. */
export const detectionGroup = (job: string = BUILT_IN_DETECTOR) => `detector:${job}`;

export interface DetectionDeps {
  config: Config;
  metrics: MetricsSource;
  now(): number;
  /** where incidents open: the first chat adapter's conversation (null while none is up) */
  target(): Conversation | null;
  stateFile: string;
  log(line: string): void;
  /** a shared queue (BullMQ): ticks come from its job schedulers, once per tick across replicas */
  queue?: JobQueue;
}

export function startDetection(deps: DetectionDeps): { stop(): Promise<void> } {
  const raising = new Set<Promise<unknown>>();
  const ctx = {
    metrics: deps.metrics,
    now: () => deps.now(),
    chartsDir: path.join(deps.config.home, 'detections'),
    open: new Map<string, 'warning' | 'critical'>(),
    raise: async (news: DetectionNews) => {
      const conversation = deps.target();
      if (!conversation) return;
      // the job waits until the incident is accepted (stored), not for its whole investigation
      await new Promise<void>((accepted) => {
        const job = raiseDetection(conversation, news, accepted, deps.log)
          .catch((err: unknown) => deps.log(`schedules: raising ${news.raised.map((r) => r.symptom.key).join(', ') || 'the resolution'} failed: ${(err as Error).message}`))
          .finally(() => {
            accepted();
            raising.delete(job);
          });
        raising.add(job);
      });
    },
  };
  const jobs = scheduledJobs(deps.config, deps.log);
  const scheduler = new Scheduler(jobs, ctx, deps.stateFile, deps.log);
  void scheduler.start(deps.queue).catch((err: unknown) => deps.log(`schedules: could not schedule the jobs: ${(err as Error).message}`));
  for (const job of jobs) {
    const origin = job.name === BUILT_IN_DETECTOR ? 'SRE_COPILOT_DETECT_CRON; "off" disables it' : 'schedules: in SRE_COPILOT_CONFIG';
    deps.log(`schedules: ${job.name} detection on "${job.cron}" (${origin})${deps.queue?.kind === 'bullmq' ? ', ticked by a BullMQ job scheduler: once per tick across replicas' : ''}`);
  }
  if (jobs.length === 0) deps.log('schedules: no detection job (SRE_COPILOT_DETECT_CRON=off and none in the config file)');
  return {
    stop: async () => {
      await scheduler.stop();
      await Promise.allSettled([...raising]);
    },
  };
}

export async function raiseDetection(conversation: Conversation, news: DetectionNews, accepted: () => void, log: (line: string) => void): Promise<void> {
  const group: AlertGroup = {
    key: detectionGroup(news.job),
    status: news.current.length > 0 ? 'firing' : 'resolved',
    firing: news.current.map(toAlert),
    resolved: [],
  };
  const outcome = await conversation.alertGroup(group, {
    onAccepted: (incidentId) => {
      accepted();
      if (incidentId) void postNews(conversation, incidentId, news).catch((err: unknown) => log(`schedules: could not post to ${incidentId}: ${(err as Error).message}`));
    },
  });
  if (outcome.kind === 'ignored' && group.status === 'firing') log(`schedules: the detection's alert group was not taken: ${outcome.reason}`);
}

/** Charts of what is new, and escalations (a re-sent group only notes newcomers, not a change of severity). */
async function postNews(conversation: Conversation, incidentId: string, news: DetectionNews): Promise<void> {
  const incident = await conversation.incident(incidentId);
  if (!incident) return;
  // an incident an alert rule opened (the symptoms joined it): detection was not first, and must not say it was
  const alerted = incident.signal.kind === 'alert' && incident.signal.alert.labels['detector'] === undefined;
  for (const { symptom, chart } of news.raised) {
    const by = news.job && news.job !== BUILT_IN_DETECTOR ? ` (job ${news.job})` : '';
    const text = `📈 Found by scheduled detection${by}: ${symptom.signal.label} of ${symptom.entity} (${symptom.severity})${alerted ? '' : ', no alert had fired'}.`;
    await conversation.copilot.post(incident.thread, chart ? { text, attachments: [{ path: chart, title: `${symptom.signal.label} of ${symptom.entity}` }] } : { text });
  }
}

function toAlert(symptom: Symptom): Alert {
  const parsed = parseAlert(JSON.stringify(symptomAlert(symptom)));
  if (!parsed.ok) throw new Error(`a detection symptom did not make an alert: ${parsed.error}`);
  return parsed.alerts[0]!;
}
