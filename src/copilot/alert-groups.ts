import { alertIdentity } from '../alerts/identity.js';
import { metrics } from '../server/metrics.js';
import { type Alert, type Incident, IncidentSchema, type Severity, type ThreadRef } from '../model/incident.js';
import type { IncidentStore } from '../storage/types.js';
import type { Copilot } from './copilot.js';
import type { SignalOutcome } from './types.js';

/**
 * Alert groups as monitoring systems send them: Alertmanager (and Grafana) notify per group and re-send the whole
 * group every group_interval, firing again or resolved. One group is one incident: a re-send is an update of it (a
 * short note when an alert joined), a resolved notification closes it. The group key travels with the incident, as a
 * label on its alert, so a restart keeps the mapping.
 */
export const GROUP_LABEL = 'sre_copilot_alert_group';
/** the identity of the alert that opened the incident, taken before any clock alignment changed its start time */
export const IDENTITY_LABEL = 'sre_copilot_alert_identity';

export interface AlertGroup {
  /** Alertmanager's or Grafana's groupKey; for a lone alert, its identity */
  key: string;
  status: 'firing' | 'resolved';
  firing: Alert[];
  resolved: Alert[];
}

export type GroupOutcome =
  | { kind: 'opened'; incidentId: string; outcome: SignalOutcome }
  | { kind: 'updated'; incidentId: string; joined: string[] }
  | { kind: 'resolved'; incidentId: string; names: string[] }
  | { kind: 'ignored'; reason: string };

export interface GroupOptions {
  /** called once the group's incident exists in the store (opened), or the update or resolution is decided */
  onAccepted?: (incidentId: string | null) => void;
}

/** What the conversation layer lends the groups: its copilot, store, clock and its alert de-duplication. */
export interface AlertGroupHost {
  copilot: Copilot;
  store: Partial<Pick<IncidentStore, 'get' | 'put'>>;
  now(): number;
  /** maps an alert onto the data source's clock (ConversationDeps.alignAlert) */
  align?: (alert: Alert) => Alert;
  /** the open incident a single alert already belongs to (opened from chat, by the reconcile, or before a restart) */
  incidentOf(alert: Alert): { incidentId: string; thread: ThreadRef } | null;
  /** the incident now carries these alerts: repeats of them land in its thread */
  adopted(incident: { id: string; thread: ThreadRef }, alerts: Alert[]): void;
  /** the incident was indexed as new (its thread answers commands) */
  opened(incident: Incident): void;
  /** the incident is closed at the source: its alerts no longer de-duplicate */
  closed(incidentId: string): void;
  /**
   * Whether two components are on one call path (one depends on the other, directly or not, in the CMDB): an alert
   * group about a caller of a component whose incident is open is the same problem seen upstream.
   */
  related?(a: string, b: string): Promise<boolean>;
}

/** how long after an incident opened an alert about a component on its call path still joins it */
export const CORRELATION_WINDOW_MS = 30 * 60_000;

interface TrackedGroup {
  incidentId: string;
  thread: ThreadRef;
  /** identities of the alerts seen in the group, so that only a newcomer is worth a note */
  members: Set<string>;
  /** the investigation the group opened, while it runs: a resolution waits for it, so the diagnosis cannot reopen it */
  investigation: Promise<unknown> | null;
  /** the components its alerts are about: another group about one of them joins this incident */
  subjects: Set<string>;
  /** alert identities per group key that feeds this incident: it closes when no group's alert fires any more */
  byGroup: Map<string, Set<string>>;
  /** when it was opened (the host's clock), for the call-path correlation window */
  openedAt?: number;
  /** true once the incident is in the store (incidentId and thread set); false when opening it failed */
  opened: Promise<boolean>;
}

/** What an alert is about: its service label (Alertmanager's service_name / service / job, a detector's component). */
function subjectsOf(alerts: Alert[]): Set<string> {
  return new Set(alerts.flatMap((a) => [a.service, a.labels['service_name'], a.labels['service']].filter((s): s is string => Boolean(s))));
}

/** the lock of the find-or-register step every group takes in turn (see correlate); no group key can equal it */
const DECIDING = Symbol('deciding');

/** An incident that already exists (in the store, or found by its alert), tracked from here on under `key`. */
function existingIncident(at: { incidentId: string; thread: ThreadRef }, key: string, ids: string[], alerts: Alert[]): TrackedGroup {
  return { ...at, members: new Set(ids), investigation: null, subjects: subjectsOf(alerts), byGroup: new Map([[key, new Set(ids)]]), opened: Promise.resolve(true) };
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, warning: 2, info: 3 };
const idOf = (alert: Alert) => alertIdentity(alert).key;

export class AlertGroups {
  private readonly byKey = new Map<string, TrackedGroup>();
  private readonly locks = new Map<string | symbol, Promise<void>>();

  constructor(private readonly host: AlertGroupHost) {}

  /** Whether an open group already holds this alert. */
  holds(alert: Alert): boolean {
    const id = idOf(alert);
    return [...this.byKey.values()].some((g) => g.members.has(id));
  }

  /** After a restart: an open incident that a group opened is that group's again. */
  restore(incident: Incident): void {
    if (incident.signal.kind !== 'alert' || incident.status === 'resolved') return;
    const key = incident.signal.alert.labels[GROUP_LABEL];
    if (!key || this.byKey.has(key)) return;
    const alert = incident.signal.alert;
    this.byKey.set(key, existingIncident({ incidentId: incident.id, thread: incident.thread }, key, [alert.labels[IDENTITY_LABEL] ?? idOf(alert)], [alert]));
  }

  /** One notification of a group; notifications of one group are handled in order, never two at once. */
  async handle(group: AlertGroup, opts: GroupOptions = {}): Promise<GroupOutcome> {
    const release = await this.lock(group.key);
    let held = true;
    const unlock = () => {
      if (held) release();
      held = false;
    };
    try {
      const { tracked, mine } = await this.correlate(group);
      if (mine) {
        return await this.open(group, mine, (incidentId) => {
          unlock();
          opts.onAccepted?.(incidentId);
        });
      }
      // a group that joined an incident still being opened (two groups delivered at once) waits for it
      if (tracked && !(await tracked.opened)) {
        opts.onAccepted?.(null);
        return { kind: 'ignored', reason: `the incident alert group ${group.key} joined could not be opened; the next notification tries again` };
      }
      if (group.status === 'resolved') {
        if (!tracked) {
          opts.onAccepted?.(null);
          return { kind: 'ignored', reason: `no open incident for alert group ${group.key}` };
        }
        // an incident several groups joined stays open while an alert of another group still fires
        const ending = new Set([...(tracked.byGroup.get(group.key) ?? []), ...group.resolved.map(idOf)]);
        tracked.byGroup.delete(group.key);
        const others = [...tracked.byGroup].filter(([, ids]) => [...ids].some((id) => !ending.has(id)));
        if (others.length > 0) {
          this.byKey.delete(group.key);
          const names = [...new Set(group.resolved.map((a) => a.name))];
          await this.host.copilot.say(tracked.thread, `✔️ ${names.join(', ') || 'an alert group'} resolved at the source; the incident stays open while ${others.length} other alert group(s) about it still fire.`);
          opts.onAccepted?.(tracked.incidentId);
          return { kind: 'updated', incidentId: tracked.incidentId, joined: [] };
        }
        this.forget(tracked);
        unlock();
        // while the investigation runs, the resolution waits for it: the sender need not
        if (tracked.investigation) opts.onAccepted?.(tracked.incidentId);
        const outcome = await this.resolve(tracked, group);
        opts.onAccepted?.(tracked.incidentId);
        return outcome;
      }
      if (group.firing.length === 0) return { kind: 'ignored', reason: `alert group ${group.key} holds no alert` };
      if (!tracked) return { kind: 'ignored', reason: `alert group ${group.key} holds no alert` };
      const outcome = await this.update(tracked, group);
      opts.onAccepted?.(tracked.incidentId);
      return outcome;
    } finally {
      unlock();
    }
  }

  private async find(group: AlertGroup): Promise<TrackedGroup | undefined> {
    const known = this.byKey.get(group.key);
    if (known) return known;
    // the group's alerts may already have an incident under another key (the reconcile's, a chat paste, a restart)
    for (const alert of [...group.firing, ...group.resolved]) {
      const incident = this.host.incidentOf(alert);
      if (!incident) continue;
      const same = [...this.byKey.values()].find((g) => g.incidentId === incident.incidentId);
      const tracked = same ?? existingIncident(incident, group.key, [idOf(alert)], [alert]);
      tracked.byGroup.set(group.key, new Set([...group.firing, ...group.resolved].map(idOf)));
      this.byKey.set(group.key, tracked);
      return tracked;
    }
    // another open group about the same component is the same problem (an alert rule and scheduled detection both
    // seeing a failing service, two rules on one service): one incident, one investigation
    if (group.status === 'firing') {
      const subjects = subjectsOf(group.firing);
      const related = [...this.byKey.values()].find((g) => [...subjects].some((s) => g.subjects.has(s))) ?? (await this.onCallPath(subjects));
      if (related) {
        related.byGroup.set(group.key, new Set());
        this.byKey.set(group.key, related);
        return related;
      }
    }
    return undefined;
  }

  private async onCallPath(subjects: Set<string>): Promise<TrackedGroup | undefined> {
    const related = this.host.related;
    if (!related || subjects.size === 0) return undefined;
    const now = this.host.now();
    for (const g of new Set(this.byKey.values())) {
      if (g.openedAt === undefined || now - g.openedAt > CORRELATION_WINDOW_MS) continue;
      for (const a of subjects) for (const b of g.subjects) if (await related(a, b)) return g;
    }
    return undefined;
  }

  /**
   * The group's incident: the one it already has, or one it joins (same alert, same component, on the call path of a
   * recent one); else a new one is registered at once, before anything is awaited, so that a group delivered at the
   * same moment finds it. One group at a time decides: deciding is quick, the investigation is not part of it.
   */
  private async correlate(group: AlertGroup): Promise<{ tracked: TrackedGroup | undefined; mine: (TrackedGroup & { settle(ok: boolean): void }) | null }> {
    const release = await this.lock(DECIDING);
    try {
      const tracked = await this.find(group);
      if (tracked || group.status !== 'firing' || group.firing.length === 0) return { tracked, mine: null };
      let settle!: (ok: boolean) => void;
      const opened = new Promise<boolean>((resolve) => (settle = resolve));
      const mine = {
        incidentId: '',
        thread: { channel: '', threadId: '' },
        members: new Set(group.firing.map(idOf)),
        investigation: null,
        subjects: subjectsOf(group.firing),
        byGroup: new Map([[group.key, new Set(group.firing.map(idOf))]]),
        openedAt: this.host.now(),
        opened,
        settle,
      };
      this.byKey.set(group.key, mine);
      return { tracked: mine, mine };
    } finally {
      release();
    }
  }

  private async open(group: AlertGroup, tracked: TrackedGroup & { settle(ok: boolean): void }, accepted: (incidentId: string) => void): Promise<GroupOutcome> {
    const lead = [...group.firing].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity])[0]!;
    metrics.alertReceived(lead.source);
    const labelled: Alert = { ...lead, labels: { ...lead.labels, [GROUP_LABEL]: group.key, [IDENTITY_LABEL]: idOf(lead) } };
    const alert = this.host.align?.(labelled) ?? labelled;
    let stored = false;
    const running = this.host.copilot.acceptSignal({ kind: 'alert', alert, receivedAt: this.host.now() }, null, {
      // the incident is in the store now: groups that joined it may go on, and the sender may be answered
      onOpened: (incident) => {
        stored = true;
        tracked.incidentId = incident.id;
        tracked.thread = incident.thread;
        tracked.settle(true);
        this.host.opened(incident);
        this.host.adopted(incident, group.firing);
        accepted(incident.id);
      },
    });
    tracked.investigation = running.catch(() => undefined).finally(() => (tracked.investigation = null));
    try {
      const outcome = await running;
      return { kind: 'opened', incidentId: tracked.incidentId, outcome };
    } finally {
      if (!stored) {
        // it never reached the store: nothing was opened, so nothing is tracked under its key
        this.forget(tracked);
        tracked.settle(false);
      }
    }
  }

  private async update(tracked: TrackedGroup, group: AlertGroup): Promise<GroupOutcome> {
    const joined = group.firing.filter((a) => !tracked.members.has(idOf(a)));
    for (const a of joined) tracked.members.add(idOf(a));
    for (const s of subjectsOf(joined)) tracked.subjects.add(s);
    const mine = tracked.byGroup.get(group.key) ?? new Set<string>();
    for (const a of group.firing) mine.add(idOf(a));
    tracked.byGroup.set(group.key, mine);
    if (joined.length > 0) {
      this.host.adopted({ id: tracked.incidentId, thread: tracked.thread }, joined);
      const names = [...new Set(joined.map((a) => `${a.name}${a.service ? ` on ${a.service}` : ''}`))];
      await this.host.copilot.say(tracked.thread, `➕ ${joined.length} more alert(s) joined this incident: ${names.join(', ')}. Same incident; the investigation above covers them.`);
    }
    return { kind: 'updated', incidentId: tracked.incidentId, joined: joined.map((a) => a.name) };
  }

  private async resolve(tracked: TrackedGroup, group: AlertGroup): Promise<GroupOutcome> {
    await tracked.investigation;
    const { copilot, store } = this.host;
    const names = [...new Set((group.resolved.length > 0 ? group.resolved : group.firing).map((a) => a.name))];
    const at = new Date(this.host.now()).toISOString().slice(0, 16).replace('T', ' ');
    const session = copilot.session(tracked.incidentId);
    const undecided = session?.result.plan && !session.approval ? ' The proposed fix was not carried out; reject it if it is no longer needed.' : '';
    await copilot.say(tracked.thread, `✅ resolved at the source at ${at} UTC: ${names.join(', ') || 'the alert group'}. ${tracked.incidentId} is closed.${undecided}`);
    const stored = IncidentSchema.safeParse(await store.get?.(tracked.incidentId, 'incident'));
    if (stored.success) await store.put?.(tracked.incidentId, 'incident', { ...stored.data, status: 'resolved' });
    if (session) session.incident = { ...session.incident, status: 'resolved' };
    this.host.closed(tracked.incidentId);
    return { kind: 'resolved', incidentId: tracked.incidentId, names };
  }

  /** A closed group's key (and any other key that led to its incident) opens a new incident next time it fires. */
  private forget(tracked: TrackedGroup): void {
    for (const [key, g] of this.byKey) if (g === tracked || (tracked.incidentId !== '' && g.incidentId === tracked.incidentId)) this.byKey.delete(key);
  }

  private async lock(key: string | symbol): Promise<() => void> {
    const before = this.locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const chained = before.then(() => mine);
    this.locks.set(key, chained);
    await before;
    return () => {
      release();
      if (this.locks.get(key) === chained) this.locks.delete(key);
    };
  }
}
