import type { Alert } from '../model/incident.js';
import { fail, isRecord, mapSeverity, optionalString, parseTime, typeName } from './common.js';

/**
 * Datadog monitor webhook (the default payload, or one built from its $VARIABLES): `title` / `alert_title`,
 * `event_type`, `alert_transition` (Triggered, Warn, Recovered…), `alert_type` (error, warning, info, success),
 * `priority` (P1…P5), `tags` ("service:payment,env:prod" or a list), `hostname`, `date`, `body` / `event_msg`.
 */
export function looksLikeDatadog(payload: unknown): boolean {
  return (
    isRecord(payload) &&
    'event_type' in payload &&
    ('title' in payload || 'alert_title' in payload) &&
    ('org' in payload || 'alert_transition' in payload || 'alert_type' in payload || 'alert_id' in payload)
  );
}

export function parseDatadog(payload: unknown, now: () => number): Alert[] {
  if (!isRecord(payload)) fail(`Datadog payload must be an object, got ${typeName(payload)}`);
  const where = 'datadog';
  const transition = optionalString(payload, 'alert_transition', where) ?? '';
  const type = optionalString(payload, 'alert_type', where) ?? '';
  if (/^recovered$/i.test(transition) || /^success$/i.test(type)) fail('Datadog payload is a recovery, not a firing alert');
  const rawTitle = (optionalString(payload, 'alert_title', where) ?? optionalString(payload, 'title', where) ?? '').trim();
  const name = rawTitle.replace(/^\[(triggered|warn|no data|re-triggered)[^\]]*\]\s*/i, '').trim();
  if (!name) fail('Datadog payload has an empty title');
  const tags = datadogTags(payload['tags']);
  const priority = optionalString(payload, 'priority', where);
  const severity = priority && /^p[1-5]$/i.test(priority) ? mapSeverity(priority) : type === 'error' ? 'high' : mapSeverity(type || transition);
  const host = optionalString(payload, 'hostname', where);
  const service = tags['service'];
  const labels: Record<string, string> = { ...tags, alertname: name, ...(host ? { host } : {}), ...(priority ? { priority } : {}) };
  const body = optionalString(payload, 'event_msg', where) ?? optionalString(payload, 'body', where);
  return [
    {
      name,
      severity,
      ...(service ? { service } : {}),
      summary: (body?.trim() || name).slice(0, 1000),
      labels,
      startsAt: payload['date'] === undefined ? now() : parseTime(payload['date'], 'datadog.date'),
      ...(payload['date'] === undefined ? { startsAtKnown: false } : {}),
      ...(idOf(payload['aggreg_key'] ?? payload['alert_id']) ? { fingerprint: idOf(payload['aggreg_key'] ?? payload['alert_id'])! } : {}),
      source: 'datadog',
    },
  ];
}

const idOf = (v: unknown): string | undefined => (typeof v === 'string' && v ? v.slice(0, 200) : typeof v === 'number' ? String(v) : undefined);

function datadogTags(v: unknown): Record<string, string> {
  const list = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : v === undefined || v === null ? [] : fail(`datadog.tags must be a string or a list, got ${typeName(v)}`);
  const out: Record<string, string> = {};
  for (const tag of list) {
    if (typeof tag !== 'string') fail('datadog.tags must hold strings');
    const [key, ...rest] = tag.trim().split(':');
    if (key && rest.length > 0) out[key] = rest.join(':');
  }
  return out;
}
