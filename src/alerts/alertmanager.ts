import type { Alert } from '../model/incident.js';
import {
  fail,
  isRecord,
  mapSeverity,
  optionalString,
  parseTime,
  serviceFromLabels,
  stringMap,
  typeName,
} from './common.js';

/**
 * Alertmanager webhook (version "4"):
 * `{ version, status, receiver, groupLabels, commonLabels, commonAnnotations, externalURL,
 *    alerts: [{ status, labels, annotations, startsAt, endsAt, generatorURL, fingerprint }] }`.
 * A bare array of such alerts (Alertmanager API v2 `/api/v2/alerts`) is accepted too.
 */
export function looksLikeAlertmanager(payload: unknown): boolean {
  if (Array.isArray(payload)) return payload.length > 0 && payload.every((a) => isRecord(a) && 'labels' in a);
  return isRecord(payload) && ('alerts' in payload || payload['version'] === '4' || 'groupKey' in payload);
}

export function parseAlertmanager(payload: unknown): Alert[] {
  if (Array.isArray(payload)) return convertAlerts(payload, {}, {}, 'alertmanager', 'alerts');
  if (!isRecord(payload)) fail(`Alertmanager payload must be an object, got ${typeName(payload)}`);
  const commonLabels = stringMap(payload['commonLabels'], 'commonLabels');
  const commonAnnotations = stringMap(payload['commonAnnotations'], 'commonAnnotations');
  return convertAlerts(webhookAlerts(payload), commonLabels, commonAnnotations, 'alertmanager', 'alerts');
}

/** The `alerts` array of a webhook payload, with clear errors when it is absent or not a list. */
export function webhookAlerts(payload: Record<string, unknown>): unknown[] {
  if (!('alerts' in payload)) fail('alert payload has no "alerts" list');
  const alerts = payload['alerts'];
  if (!Array.isArray(alerts)) fail(`"alerts" must be a list, got ${typeName(alerts)}`);
  if (alerts.length === 0) fail('alert payload has an empty "alerts" list');
  return alerts;
}

/**
 * Converts webhook alerts to ours. Resolved alerts are dropped (they ask for no diagnosis); a payload that holds only
 * resolved alerts is an error so that the caller can say so.
 */
export function convertAlerts(
  raw: unknown[],
  commonLabels: Record<string, string>,
  commonAnnotations: Record<string, string>,
  source: string,
  where: string,
  fallbackSummary?: SummaryFallback,
): Alert[] {
  let resolved = 0;
  // resolved alerts are counted, not read: a sloppy resolved entry must not stop the firing ones being diagnosed
  const firing = splitAlerts(raw, commonLabels, commonAnnotations, source, where, fallbackSummary, () => resolved++).firing;
  if (firing.length === 0 && resolved > 0) fail(`alert payload holds only resolved alerts (${resolved}), nothing is firing`);
  return firing;
}

export type SummaryFallback = (item: Record<string, unknown>, name: string) => string | undefined;

/**
 * An Alertmanager-style notification as one alert group: its `groupKey` (null when the payload has none), whether
 * the group as a whole is resolved, and its alerts, firing and resolved apart. Alertmanager re-sends a group every
 * group_interval, so the resolved ones matter here: they close the incident the group opened.
 */
export interface AlertGroupNotification {
  groupKey: string | null;
  status: 'firing' | 'resolved';
  firing: Alert[];
  resolved: Alert[];
}

/** Reads an Alertmanager (or Grafana, with `source` 'grafana') webhook as a group; throws AlertParseError. */
export function readAlertGroup(payload: unknown, source: string, fallbackSummary?: SummaryFallback): AlertGroupNotification {
  if (!isRecord(payload)) fail(`${source} payload must be an object, got ${typeName(payload)}`);
  const commonLabels = stringMap(payload['commonLabels'], 'commonLabels');
  const commonAnnotations = stringMap(payload['commonAnnotations'], 'commonAnnotations');
  const { firing, resolved } = splitAlerts(webhookAlerts(payload), commonLabels, commonAnnotations, source, 'alerts', fallbackSummary);
  const groupKey = optionalString(payload, 'groupKey', source)?.trim() || null;
  const declared = optionalString(payload, 'status', source)?.trim().toLowerCase();
  const status = declared === 'resolved' || firing.length === 0 ? 'resolved' : 'firing';
  return { groupKey, status, firing, resolved };
}

/** Every webhook alert converted to ours, firing and resolved apart (a missing status counts as firing). */
export function splitAlerts(
  raw: unknown[],
  commonLabels: Record<string, string>,
  commonAnnotations: Record<string, string>,
  source: string,
  where: string,
  fallbackSummary?: SummaryFallback,
  /** when given, resolved alerts are handed to it unread instead of converted */
  skipResolved?: () => void,
): { firing: Alert[]; resolved: Alert[] } {
  const firing: Alert[] = [];
  const resolved: Alert[] = [];
  raw.forEach((item, i) => {
    const at = `${where}[${i}]`;
    if (!isRecord(item)) fail(`${at} must be an object, got ${typeName(item)}`);
    const isResolved = optionalString(item, 'status', at)?.toLowerCase() === 'resolved';
    if (isResolved && skipResolved) return skipResolved();
    (isResolved ? resolved : firing).push(convertOne(item, at, commonLabels, commonAnnotations, source, fallbackSummary));
  });
  return { firing, resolved };
}

function convertOne(
  item: Record<string, unknown>,
  at: string,
  commonLabels: Record<string, string>,
  commonAnnotations: Record<string, string>,
  source: string,
  fallbackSummary?: SummaryFallback,
): Alert {
  if (!('labels' in item)) fail(`${at} has no "labels"`);
  const labels = { ...commonLabels, ...stringMap(item['labels'], `${at}.labels`) };
  const annotations = { ...commonAnnotations, ...stringMap(item['annotations'], `${at}.annotations`) };
  const name = labels['alertname']?.trim();
  if (!name) fail(`${at}.labels has no "alertname"`);
  if (!('startsAt' in item)) fail(`${at} has no "startsAt"`);
  const startsAt = parseTime(item['startsAt'], `${at}.startsAt`);
  const summary =
    annotations['summary'] ??
    annotations['description'] ??
    annotations['message'] ??
    annotations['title'] ??
    fallbackSummary?.(item, name) ??
    name;
  const service = serviceFromLabels(labels);
  return {
    name,
    severity: mapSeverity(labels['severity'] ?? labels['priority']),
    ...(service ? { service } : {}),
    summary: summary.trim() || name,
    labels,
    startsAt,
    source,
    ...(typeof item['fingerprint'] === 'string' && item['fingerprint'].trim() ? { fingerprint: item['fingerprint'].trim().slice(0, 200) } : {}),
  };
}
