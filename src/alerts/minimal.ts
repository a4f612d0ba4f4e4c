import type { Alert } from '../model/incident.js';
import { fail, isRecord, mapSeverity, optionalString, parseTime, stringMap, typeName } from './common.js';

/** A minimal hand-written alert: `{ "name" | "alertname", "severity", "service", "summary", "startsAt"?, "labels"? }`. */
export function looksLikeMinimal(payload: unknown): boolean {
  return isRecord(payload) && ('name' in payload || 'alertname' in payload);
}

export function parseMinimal(payload: unknown, now: () => number): Alert[] {
  if (!isRecord(payload)) fail(`alert must be an object, got ${typeName(payload)}`);
  const where = 'alert';
  const name = (optionalString(payload, 'alertname', where) ?? optionalString(payload, 'name', where))?.trim();
  if (!name) fail('alert has an empty "name"');
  const severityRaw = optionalString(payload, 'severity', where);
  const service = optionalString(payload, 'service', where)?.trim();
  const summary =
    optionalString(payload, 'summary', where) ?? optionalString(payload, 'description', where) ?? name;
  const extra = stringMap(payload['labels'], 'alert.labels');
  const startsAt = payload['startsAt'] === undefined ? now() : parseTime(payload['startsAt'], 'alert.startsAt');
  const labels: Record<string, string> = { ...extra, alertname: name };
  if (severityRaw !== undefined) labels['severity'] = severityRaw;
  if (service) labels['service'] = service;
  return [
    {
      name,
      severity: mapSeverity(severityRaw),
      ...(service ? { service } : {}),
      summary: summary.trim() || name,
      labels,
      startsAt,
      ...(payload['startsAt'] === undefined ? { startsAtKnown: false } : {}),
      ...(typeof payload['fingerprint'] === 'string' && payload['fingerprint'] ? { fingerprint: payload['fingerprint'].slice(0, 200) } : {}),
      source: 'json',
    },
  ];
}
