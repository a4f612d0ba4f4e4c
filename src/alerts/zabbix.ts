import type { Alert } from '../model/incident.js';
import { fail, isRecord, mapSeverity, optionalString, parseTime, typeName } from './common.js';

/**
 * Zabbix webhook media type (JSON built from macros): `event_name` / `trigger_name`, `host` / `host_name`,
 * `event_severity` / `trigger_severity` (Not classified, Information, Warning, Average, High, Disaster),
 * `event_status` / `status` (PROBLEM, RESOLVED), `event_date` ("2026.11.20") + `event_time`, or `clock`, and
 * `event_tags` ("service:payment-service,team:payments").
 */
export function looksLikeZabbix(payload: unknown): boolean {
  if (!isRecord(payload)) return false;
  const hasName = 'event_name' in payload || 'trigger_name' in payload;
  const hasHost = 'host' in payload || 'host_name' in payload || 'hostname' in payload;
  const hasSeverity = 'event_severity' in payload || 'trigger_severity' in payload || 'severity' in payload;
  return hasName && hasHost && hasSeverity;
}

export function parseZabbix(payload: unknown, now: () => number): Alert[] {
  if (!isRecord(payload)) fail(`Zabbix payload must be an object, got ${typeName(payload)}`);
  const w = 'zabbix';
  const str = (key: string) => {
    const v = payload[key];
    return typeof v === 'number' ? String(v) : optionalString(payload, key, w);
  };
  const status = str('event_status') ?? str('status') ?? str('trigger_status') ?? '';
  if (/^(resolved|ok)$/i.test(status) || str('event_value') === '0') fail('Zabbix event is a recovery, not a problem');
  const name = (str('event_name') ?? str('trigger_name'))?.trim();
  if (!name) fail('Zabbix event has an empty name');
  const severityRaw = str('event_severity') ?? str('trigger_severity') ?? str('severity');
  const host = (str('host') ?? str('host_name') ?? str('hostname'))?.trim();
  const tags: Record<string, string> = {};
  for (const tag of (str('event_tags') ?? '').split(',')) {
    const [key, ...rest] = tag.trim().split(':');
    if (key && rest.length > 0) tags[key] = rest.join(':');
  }
  const service = tags['service'];
  const date = str('event_date');
  const startsAt = date
    ? parseTime(`${date.replaceAll('.', '-')}T${str('event_time') ?? '00:00:00'}Z`, 'zabbix.event_date')
    : payload['clock'] !== undefined
      ? parseTime(payload['clock'], 'zabbix.clock')
      : now();
  return [
    {
      name,
      severity: mapSeverity(severityRaw),
      ...(service ? { service } : {}),
      summary: (str('event_message') ?? str('message') ?? `${name}${host ? ` on ${host}` : ''}`).slice(0, 1000),
      labels: { ...tags, alertname: name, ...(host ? { host } : {}), ...(severityRaw ? { severity: severityRaw } : {}) },
      startsAt,
      ...(!date && payload['clock'] === undefined ? { startsAtKnown: false } : {}),
      ...(str('event_id') ?? str('eventid') ? { fingerprint: (str('event_id') ?? str('eventid'))!.slice(0, 200) } : {}),
      source: 'zabbix',
    },
  ];
}
