import { z } from 'zod';
import { splitAlerts } from '../alerts/alertmanager.js';
import { alertIdentity } from '../alerts/identity.js';
import type { AlertGroup } from '../copilot/alert-groups.js';
import type { Conversation } from '../copilot/conversation.js';
import type { Alert } from '../model/incident.js';

/**
 * The Alertmanager reconcile: a webhook can be lost (serve was down, the network dropped it), and Alertmanager will
 * not re-send a group until its repeat_interval (hours). So every interval this reads the firing alerts from
 * Alertmanager's API and feeds those no incident holds into the same path as the webhook. An alert is fed only when it
 * is still unheld at two reads in a row, which leaves the webhook (group_wait) time to arrive first.
 */
const GettableAlertSchema = z.looseObject({
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).optional(),
  startsAt: z.string(),
  fingerprint: z.string().optional(),
  receivers: z.array(z.looseObject({ name: z.string() })).optional(),
  status: z.looseObject({ state: z.string() }).optional(),
});
const GettableAlertsSchema = z.array(GettableAlertSchema);

export interface ReconcileOptions {
  /** ALERTMANAGER_URL, e.g. http://alertmanager:9093 */
  url: string;
  intervalMs: number;
  /** only alerts routed to this receiver (ALERTMANAGER_RECEIVER); default every alert */
  receiver?: string;
  conversation: Pick<Conversation, 'alertGroup' | 'tracks'>;
  log: (line: string) => void;
  /** per request; default 10 s */
  timeoutMs?: number;
}

export interface ReconcileReport {
  ok: boolean;
  /** alerts fed into the conversation this time */
  fed: number;
  error?: string;
}

export interface Reconciler {
  /** one read of Alertmanager: what it fed, or why it could not read */
  runOnce(): Promise<ReconcileReport>;
  /** one scheduled round: runOnce, the logging, and the delay until the next round (backed off after failures) */
  tick(): Promise<{ report: ReconcileReport; nextDelayMs: number }>;
  start(): void;
  stop(): void;
}

/** the longest back-off after failures, in intervals */
const MAX_BACKOFF_INTERVALS = 16;

export function createReconciler(opts: ReconcileOptions): Reconciler {
  const endpoint = new URL('/api/v2/alerts', opts.url.endsWith('/') ? opts.url : `${opts.url}/`);
  for (const [k, v] of Object.entries({ active: 'true', silenced: 'false', inhibited: 'false' })) endpoint.searchParams.set(k, v);
  let unheldBefore = new Set<string>();
  let failures = 0;
  let timer: NodeJS.Timeout | null = null;
  let stopped = true;

  async function runOnce(): Promise<ReconcileReport> {
    let alerts: Alert[];
    try {
      alerts = await readFiring();
    } catch (err) {
      return { ok: false, fed: 0, error: (err as Error).message };
    }
    const unheld = alerts.filter((a) => !opts.conversation.tracks(a));
    const due = unheld.filter((a) => unheldBefore.has(alertIdentity(a).key));
    unheldBefore = new Set(unheld.map((a) => alertIdentity(a).key));
    let fed = 0;
    for (const group of groupByName(due)) {
      const outcome = await feed(group);
      if (outcome) {
        fed += group.firing.length;
        opts.log(`reconcile: ${group.firing.length} firing alert(s) of ${group.key} had no incident (a lost webhook?): ${outcome}`);
      }
    }
    return { ok: true, fed };
  }

  async function readFiring(): Promise<Alert[]> {
    const res = await fetch(endpoint, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
    if (!res.ok) throw new Error(`GET ${endpoint.pathname} answered HTTP ${res.status}`);
    const parsed = GettableAlertsSchema.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success) throw new Error(`GET ${endpoint.pathname} did not answer a list of alerts: ${parsed.error.issues[0]?.message ?? 'unreadable'}`);
    const out: Alert[] = [];
    for (const item of parsed.data) {
      if (item.status && item.status.state !== 'active') continue;
      if (opts.receiver && !item.receivers?.some((r) => r.name === opts.receiver)) continue;
      try {
        const { labels, annotations, startsAt, fingerprint } = item;
        out.push(...splitAlerts([{ labels, annotations, startsAt, fingerprint }], {}, {}, 'alertmanager', 'alerts').firing);
      } catch {
        // one unreadable alert must not hide the others
      }
    }
    return out;
  }

  /** Waits until the group is accepted (the incident stored); the investigation goes on in the background. */
  function feed(group: AlertGroup): Promise<string | null> {
    return new Promise((resolve) => {
      conversationGroup(group, (id) => resolve(id ? `handled as ${id}` : null)).then(
        (outcome) => resolve(outcome.kind === 'ignored' ? null : `${outcome.kind} ${outcome.incidentId}`),
        (err: unknown) => {
          opts.log(`reconcile: ${group.key} could not be opened: ${(err as Error).message}`);
          resolve(null);
        },
      );
    });
  }

  const conversationGroup = (group: AlertGroup, onAccepted: (id: string | null) => void) => opts.conversation.alertGroup(group, { onAccepted });

  async function tick(): Promise<{ report: ReconcileReport; nextDelayMs: number }> {
    const report = await runOnce();
    if (report.ok) {
      if (failures > 0) opts.log(`reconcile: Alertmanager at ${opts.url} answers again`);
      failures = 0;
      return { report, nextDelayMs: opts.intervalMs };
    }
    failures++;
    if (failures === 1) opts.log(`reconcile: cannot read Alertmanager at ${opts.url}: ${report.error}; retrying with back-off`);
    return { report, nextDelayMs: opts.intervalMs * Math.min(2 ** failures, MAX_BACKOFF_INTERVALS) };
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void tick()
        .catch((err: unknown) => ({ nextDelayMs: opts.intervalMs, report: { ok: false, fed: 0, error: (err as Error).message } }))
        .then(({ nextDelayMs }) => schedule(nextDelayMs));
    }, delayMs);
    timer.unref();
  }

  return {
    runOnce,
    tick,
    start: () => {
      if (!stopped) return;
      stopped = false;
      schedule(opts.intervalMs);
    },
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

/** Without the route's group_by, alerts of one name are one group, keyed as Alertmanager keys the root route's groups. */
function groupByName(alerts: Alert[]): AlertGroup[] {
  const byName = new Map<string, Alert[]>();
  for (const a of alerts) byName.set(a.name, [...(byName.get(a.name) ?? []), a]);
  return [...byName].map(([name, firing]) => ({ key: `{}:{alertname=${JSON.stringify(name)}}`, status: 'firing' as const, firing, resolved: [] }));
}
