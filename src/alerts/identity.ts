import { createHash } from 'node:crypto';
import type { Alert } from '../model/incident.js';

/**
 * What makes two deliveries of an alert "the same alert". Monitoring systems repeat a firing alert (Alertmanager
 * every repeat_interval, people paste it twice), and each repeat must land in the incident already open for it.
 * - The source's own identity wins: Alertmanager/Grafana fingerprint (plus the start time, which separates one
 *   firing episode from the next), a PagerDuty incident id, a Datadog aggregation key, a Zabbix event id.
 * - Else the start time the payload carried, with the alert's name and subject.
 * - Else (plain text, or JSON without a time: the parse time is no identity) the normalised text — numbers masked,
 *   since "error rate 12%" and "error rate 13%" are one alert — and only within `TEXT_WINDOW_MS` of the first one.
 */
export interface AlertIdentity {
  key: string;
  /** how long after the first delivery a repeat still counts as the same alert; null: while its incident is open */
  windowMs: number | null;
}

export const TEXT_WINDOW_MS = 30 * 60_000;

export function alertIdentity(alert: Alert): AlertIdentity {
  const subject = alert.service ?? alert.labels['service'] ?? '';
  if (alert.fingerprint) return { key: `fp:${alert.source}:${alert.fingerprint}:${alert.startsAtKnown === false ? '' : alert.startsAt}`, windowMs: alert.startsAtKnown === false ? TEXT_WINDOW_MS : null };
  if (alert.startsAtKnown !== false) return { key: `at:${alert.source}:${alert.name}:${subject}:${alert.startsAt}`, windowMs: null };
  const text = [alert.name, subject, alert.summary].map(normalise).join('|');
  return { key: `text:${createHash('sha256').update(text).digest('hex').slice(0, 24)}`, windowMs: TEXT_WINDOW_MS };
}

function normalise(s: string): string {
  return s.toLowerCase().replace(/\d+(?:[.,]\d+)?/g, '#').replace(/\s+/g, ' ').trim();
}
