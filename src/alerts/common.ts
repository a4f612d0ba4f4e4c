import { AlertSchema, type Alert, type Severity } from '../model/incident.js';

/** Result of every parser in this folder; parsers never throw. */
export type ParseResult = { ok: true; alerts: Alert[] } | { ok: false; error: string };

export interface ParseOptions {
  /** clock used when a payload carries no start time (plain text, minimal JSON); default Date.now */
  now?: () => number;
  /** service names to look for in plain text, e.g. from the CMDB */
  knownServices?: readonly string[];
}

/** Thrown inside parsers and turned into `{ ok: false }` at the boundary. */
export class AlertParseError extends Error {}

export function fail(message: string): never {
  throw new AlertParseError(message);
}

/**
 * Maps a free-form severity label to ours: critical/page → critical, error/high → high, warning → warning, else info.
 * A few common synonyms (crit, fatal, p1, sev1, major, warn, …) are accepted too.
 */
export function mapSeverity(raw: string | undefined | null): Severity {
  const s = (raw ?? '').trim().toLowerCase();
  if (/^(critical|crit|page|pager|fatal|emergency|emerg|disaster|p0|p1|sev0|sev1|sev-0|sev-1)$/.test(s)) return 'critical';
  if (/^(error|err|high|major|p2|sev2|sev-2)$/.test(s)) return 'high';
  if (/^(warning|warn|average|minor|medium|p3|sev3|sev-3)$/.test(s)) return 'warning';
  return 'info';
}

/** The service label Alertmanager-style payloads use, in order of preference. */
export const SERVICE_LABELS = ['service', 'service_name', 'job', 'app', 'application'] as const;

export function serviceFromLabels(labels: Record<string, string>): string | undefined {
  for (const key of SERVICE_LABELS) {
    const v = labels[key]?.trim();
    if (v) return v;
  }
  return undefined;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const t = typeof v;
  return t === 'object' ? 'an object' : `a ${t}`;
}

/** Reads a `{string: string}` map (labels, annotations); absent → {}. */
export function stringMap(v: unknown, where: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isRecord(v)) fail(`${where} must be an object of strings, got ${typeName(v)}`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string') out[k] = val;
    else if (typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
    else fail(`${where}.${k} must be a string, got ${typeName(val)}`);
  }
  return out;
}

export function optionalString(obj: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(`${where}.${key} must be a string, got ${typeName(v)}`);
  return v;
}

/** ISO-8601 string or epoch (s or ms) → epoch ms. */
export function parseTime(v: unknown, where: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e11 ? Math.round(v * 1000) : Math.round(v);
  if (typeof v === 'string' && v.trim() !== '') {
    const trimmed = v.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return parseTime(Number(trimmed), where);
    const ms = Date.parse(trimmed);
    if (Number.isFinite(ms)) return ms;
    fail(`${where} is not a valid timestamp: ${JSON.stringify(trimmed.slice(0, 40))}`);
  }
  fail(`${where} must be an ISO-8601 timestamp, got ${typeName(v)}`);
}

/** Validates with AlertSchema; a failure here is a bug in a parser, reported rather than thrown. */
export function finalize(alerts: Alert[]): ParseResult {
  const out: Alert[] = [];
  for (const [i, a] of alerts.entries()) {
    const r = AlertSchema.safeParse(a);
    if (!r.success) {
      const issue = r.error.issues[0];
      return { ok: false, error: `alert ${i} is invalid: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown'}` };
    }
    out.push(r.data);
  }
  return { ok: true, alerts: out };
}
