import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { AlertParseError } from '../alerts/common.js';
import { readAlertGroup, type SummaryFallback } from '../alerts/alertmanager.js';
import { looksLikeGrafana } from '../alerts/grafana.js';
import { alertIdentity } from '../alerts/identity.js';
import { parseAlert } from '../alerts/index.js';
import type { AlertGroup, GroupOutcome } from '../copilot/alert-groups.js';
import type { Conversation } from '../copilot/conversation.js';
import type { HttpRoute } from './http.js';

/**
 * Alert receivers on serve's HTTP server: POST /webhooks/alertmanager (Alertmanager webhook v4), /webhooks/grafana
 * (Grafana's webhook contact point) and /webhooks/generic (any alert parseAlert reads). Each notification is one alert
 * group; 202 means its incident exists in the store (or the update or resolution is taken) — the investigation goes
 * on in the background. A sender that gets a 5xx retries (Alertmanager does), so nothing is lost while serve starts.
 */
export interface WebhookDeps {
  /** the conversation that opens incidents; null while serve is still starting */
  conversation: () => Pick<Conversation, 'alertGroup' | 'deps'> | null;
  /** SRE_COPILOT_WEBHOOK_TOKEN: when set, every request must carry `Authorization: Bearer <token>` */
  token?: string;
  log: (line: string) => void;
}

export interface WebhookRoutes {
  routes: HttpRoute[];
  /** resolves once every investigation started by a notification so far has finished (tests, shutdown) */
  idle(): Promise<void>;
}

/** Alertmanager's and Grafana's envelope; each alert inside is read (with clear errors) by readAlertGroup. */
const GroupEnvelopeSchema = z.looseObject({
  version: z.string().optional(),
  groupKey: z.string().optional(),
  status: z.string().optional(),
  alerts: z.array(z.unknown(), { error: '"alerts" must be a list of alerts' }).min(1, '"alerts" is empty'),
});

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };
const answer = (status: number, body: Record<string, unknown>) => new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
const badRequest = (error: string) => answer(400, { status: 'rejected', error });

/** Grafana puts the evaluated values in valueString when the rule has no summary annotation. */
const grafanaSummary: SummaryFallback = (item, name) => {
  const vs = item['valueString'];
  return typeof vs === 'string' && vs.trim() ? `${name}: ${vs.trim()}` : undefined;
};

export function webhookRoutes(deps: WebhookDeps): WebhookRoutes {
  const running = new Set<Promise<unknown>>();
  const route = (path: string, read: (body: string, now: () => number) => AlertGroup): HttpRoute => ({
    method: 'POST',
    path,
    handle: async (request) => {
      try {
        if (!authorised(request, deps.token)) {
          return new Response(JSON.stringify({ status: 'unauthorised', error: 'a valid "Authorization: Bearer <token>" header is required' }), { status: 401, headers: { ...JSON_HEADERS, 'www-authenticate': 'Bearer' } });
        }
        const conversation = deps.conversation();
        if (!conversation) return new Response(JSON.stringify({ status: 'starting', error: 'starting up; retry shortly' }), { status: 503, headers: { ...JSON_HEADERS, 'retry-after': '5' } });
        let group: AlertGroup;
        try {
          group = read(await request.text(), () => conversation.deps.now());
        } catch (err) {
          return badRequest(err instanceof Error ? err.message : String(err));
        }
        return await deliver(conversation, group, path);
      } catch (err) {
        deps.log(`webhooks: ${path} failed: ${(err as Error).message}`);
        return answer(500, { status: 'failed', error: 'the alert could not be taken; retry' });
      }
    },
  });

  /** 202 as soon as the group is accepted; whatever remains (the investigation) runs on, and is logged if it fails. */
  async function deliver(conversation: Pick<Conversation, 'alertGroup'>, group: AlertGroup, path: string): Promise<Response> {
    let accept!: (incidentId: string | null) => void;
    const accepted = new Promise<string | null>((resolve) => (accept = resolve));
    const work = conversation.alertGroup(group, { onAccepted: (id) => accept(id) });
    const settled = work.then(
      (outcome) => ({ ok: true as const, outcome }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const tracked = settled.then((r) => {
      if (!r.ok) deps.log(`webhooks: ${path} group ${group.key}: ${(r.error as Error)?.message ?? String(r.error)}`);
      else if (r.outcome.kind === 'opened' && !r.outcome.outcome.ok) deps.log(`webhooks: ${r.outcome.incidentId}: ${r.outcome.outcome.error}`);
    });
    running.add(tracked);
    void tracked.finally(() => running.delete(tracked));
    const first = await Promise.race([accepted.then((incidentId) => ({ accepted: true as const, incidentId })), settled.then((r) => ({ accepted: false as const, r }))]);
    if (first.accepted) {
      // the notification may already be fully handled (an update, an ignored resolution): say which
      const done = await Promise.race([settled, Promise.resolve(null)]);
      return answer(202, { status: 'accepted', ...(first.incidentId ? { incidentId: first.incidentId } : {}), ...(done?.ok ? summary(done.outcome) : {}) });
    }
    if (first.r.ok) return answer(202, { status: 'accepted', ...summary(first.r.outcome) });
    return answer(500, { status: 'failed', error: `the incident could not be opened: ${(first.r.error as Error)?.message ?? String(first.r.error)}` });
  }

  return {
    routes: [
      route('/webhooks/alertmanager', (body) => readEnvelope(body, 'alertmanager')),
      route('/webhooks/grafana', (body) => readEnvelope(body, 'grafana')),
      route('/webhooks/generic', readGeneric),
    ],
    idle: async () => {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}

function summary(outcome: GroupOutcome): Record<string, unknown> {
  switch (outcome.kind) {
    case 'opened':
      return { outcome: 'opened', incidentId: outcome.incidentId };
    case 'updated':
      return { outcome: 'updated', incidentId: outcome.incidentId, joined: outcome.joined };
    case 'resolved':
      return { outcome: 'resolved', incidentId: outcome.incidentId };
    case 'ignored':
      return { outcome: 'ignored', reason: outcome.reason };
  }
}

/** Constant-time on digests of equal length, so neither the token nor its length leaks through timing. */
function authorised(request: Request, token: string | undefined): boolean {
  if (!token) return true;
  const header = request.headers.get('authorization') ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!match) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}

function parseJson(body: string): unknown {
  if (body.trim() === '') throw new AlertParseError('the body is empty: expected an alert notification as JSON');
  try {
    return JSON.parse(body);
  } catch (err) {
    throw new AlertParseError(`the body is not valid JSON: ${(err as Error).message}`);
  }
}

function readEnvelope(body: string, source: 'alertmanager' | 'grafana'): AlertGroup {
  return groupOf(parseJson(body), source);
}

function groupOf(payload: unknown, source: 'alertmanager' | 'grafana'): AlertGroup {
  const envelope = GroupEnvelopeSchema.safeParse(payload);
  if (!envelope.success) {
    const issue = envelope.error.issues[0];
    const what = source === 'alertmanager' ? 'an Alertmanager webhook (version 4)' : 'a Grafana webhook';
    throw new AlertParseError(`not ${what}: ${issue?.path.length ? `${issue.path.join('.')}: ` : ''}${issue?.message ?? 'unreadable'}`);
  }
  const read = readAlertGroup(envelope.data, source, source === 'grafana' ? grafanaSummary : undefined);
  const first = read.firing[0] ?? read.resolved[0]!;
  return { key: read.groupKey ?? alertIdentity(first).key, status: read.status, firing: read.firing, resolved: read.resolved };
}

const RESOLVED_WORDS = /^(resolved|ok|recovered|closed)$/i;

/**
 * Anything parseAlert reads. An Alertmanager- or Grafana-shaped body is read as its group; any other alert is a group
 * of one, keyed by its identity, and a top-level "status": "resolved" (or ok, recovered, closed) closes it.
 */
function readGeneric(body: string, now: () => number): AlertGroup {
  const trimmed = body.trim();
  const payload = /^[[{]/.test(trimmed) ? parseJson(body) : null;
  if (payload && typeof payload === 'object' && !Array.isArray(payload) && 'alerts' in payload) return groupOf(payload, looksLikeGrafana(payload) ? 'grafana' : 'alertmanager');
  const parsed = parseAlert(body, { now });
  if (!parsed.ok) throw new AlertParseError(`not an alert: ${parsed.error}`);
  const status = payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>)['status'] : undefined;
  const resolved = typeof status === 'string' && RESOLVED_WORDS.test(status.trim());
  const alerts = parsed.alerts;
  return { key: alertIdentity(alerts[0]!).key, status: resolved ? 'resolved' : 'firing', firing: resolved ? [] : alerts, resolved: resolved ? alerts : [] };
}
