import type { Alert } from '../model/incident.js';
import { fail, isRecord, mapSeverity, optionalString, parseTime, typeName } from './common.js';

/**
 * PagerDuty webhook v3: `{ event: { event_type: "incident.triggered", resource_type: "incident", occurred_at,
 * data: { title, urgency, status, service: { summary }, priority: { summary: "P1" }, html_url } } }`.
 */
export function looksLikePagerDuty(payload: unknown): boolean {
  if (!isRecord(payload) || !isRecord(payload['event'])) return false;
  const type = payload['event']['event_type'];
  return typeof type === 'string' && type.startsWith('incident.');
}

export function parsePagerDuty(payload: unknown, now: () => number): Alert[] {
  if (!isRecord(payload) || !isRecord(payload['event'])) fail(`PagerDuty payload must have an "event" object, got ${typeName(payload)}`);
  const event = payload['event'];
  const type = String(event['event_type']);
  if (type === 'incident.resolved') fail('PagerDuty event is a resolution, not a firing alert');
  const data = event['data'];
  if (!isRecord(data)) fail('PagerDuty event has no "data" object');
  const name = optionalString(data, 'title', 'pagerduty.data')?.trim();
  if (!name) fail('PagerDuty incident has an empty title');
  const priority = isRecord(data['priority']) ? optionalString(data['priority'], 'summary', 'pagerduty.data.priority') : undefined;
  const urgency = optionalString(data, 'urgency', 'pagerduty.data');
  const service = isRecord(data['service']) ? optionalString(data['service'], 'summary', 'pagerduty.data.service')?.trim() : undefined;
  const severity = priority ? mapSeverity(priority) : urgency === 'high' ? 'high' : urgency === 'low' ? 'warning' : 'info';
  const labels: Record<string, string> = {
    alertname: name,
    event_type: type,
    ...(priority ? { priority } : {}),
    ...(urgency ? { urgency } : {}),
    ...(service ? { service } : {}),
  };
  return [
    {
      name,
      severity,
      ...(service ? { service } : {}),
      summary: name,
      labels,
      startsAt: event['occurred_at'] === undefined ? now() : parseTime(event['occurred_at'], 'pagerduty.event.occurred_at'),
      ...(event['occurred_at'] === undefined ? { startsAtKnown: false } : {}),
      ...(typeof data['id'] === 'string' && data['id'] ? { fingerprint: data['id'].slice(0, 200) } : {}),
      source: 'pagerduty',
    },
  ];
}
