import type { Alert, Severity } from '../model/incident.js';
import { fail, mapSeverity } from './common.js';

/**
 * Plain-text alerts as people paste them or as chat integrations render them, e.g.
 * `[FIRING] HighErrorRate api-gateway: 5xx above 5%`, `[FIRING:2] KubePodCrashLooping (checkout critical)`,
 * `CRITICAL: payment-service error rate 12%`, `ALERT: orders-db connection pool exhausted`.
 *
 * A text is an alert only when it carries an alert marker ([FIRING], ALERT:, alertname=…) or starts with a severity
 * (`CRITICAL:`, `[WARNING]`, `P1 -`); anything else (a question, chatter) is rejected.
 */

const STATUS_MARKER = /^\s*(?:\[\s*(FIRING|ALERT|ALERTING|TRIGGERED|PROBLEM)(?::\s*\d+)?\s*\]|(FIRING|ALERT|ALERTING|TRIGGERED|PROBLEM)\s*[:!-])\s*/i;
const RESOLVED_MARKER = /^\s*(?:\[\s*(RESOLVED|OK|RECOVERED)(?::\s*\d+)?\s*\]|(RESOLVED|RECOVERED)\s*[:!-])/i;
const SEVERITY_WORDS = 'CRITICAL|CRIT|FATAL|EMERGENCY|PAGE|ERROR|HIGH|MAJOR|WARNING|WARN|MINOR|INFO|P[0-4]|SEV-?[0-4]';
const SEVERITY_PREFIX = new RegExp(`^\\s*(?:\\[\\s*(${SEVERITY_WORDS})\\s*\\]|(${SEVERITY_WORDS})\\s*[:!-])\\s*`, 'i');
/** Upper-case severity words anywhere ("… is CRITICAL"); lower-case only inside brackets ("(checkout critical)"). */
const SEVERITY_ANYWHERE = new RegExp(`(?:^|[\\s(\\[,])(${SEVERITY_WORDS})(?=$|[\\s)\\],:])`);
const SEVERITY_IN_BRACKETS = new RegExp(`[([][^)\\]]*?\\b(${SEVERITY_WORDS})\\b[^)\\]]*[)\\]]`, 'i');
const SEVERITY_KV = /\bseverity\s*[=:]\s*"?([A-Za-z0-9-]+)/i;
const ALERTNAME_KV = /\balertname\s*[=:]\s*"?([A-Za-z][\w.:-]*)/i;
const SERVICE_KV = /\b(?:service|svc|job|app)\s*[=:]\s*"?([A-Za-z0-9][\w.-]*)/i;
/** CamelCase identifiers such as HighErrorRate, KubePodCrashLooping, TargetDown. */
const CAMEL_NAME = /\b([A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+|[A-Z]{2,}[a-z]+[A-Za-z0-9]*)\b/;
/** kebab/snake identifiers with a service-ish shape: api-gateway, payment-service, orders_db. */
const SERVICE_TOKEN = /(?<![\w./:-])([a-z][a-z0-9]*(?:[-_][a-z0-9]+)+)(?![\w/-])/g;
const NOT_SERVICES = new Set(['5xx', '4xx', 'p95', 'p99', 'x-request-id', 'out-of-memory', 'oom-killed', 'time-out']);

const SYMPTOM_NAMES: [RegExp, string][] = [
  [/\b(5xx|error[- ]?rate|errors?|failures?|failing)\b/i, 'HighErrorRate'],
  [/\b(latency|slow|p9[59]|response time|timeouts?)\b/i, 'HighLatency'],
  [/\b(connection pool|connections?|pool exhausted)\b/i, 'ConnectionPoolExhausted'],
  [/\b(cpu)\b/i, 'HighCpuUsage'],
  [/\b(memory|oom|rss)\b/i, 'HighMemoryUsage'],
  [/\b(disk|filesystem|volume)\b/i, 'DiskSpaceLow'],
  [/\b(crash(?:ing|looping)?|restart(?:s|ing)?)\b/i, 'CrashLooping'],
  [/\b(down|unreachable|unavailable|not responding)\b/i, 'ServiceDown'],
  [/\b(queue|lag|backlog)\b/i, 'QueueBacklog'],
  [/\b(orders?|payments?|checkout|conversion)\b.*\b(drop|dropped|down|low)\b/i, 'BusinessKpiDrop'],
];

export interface PlainTextOptions {
  now: () => number;
  knownServices?: readonly string[];
}

export function parsePlainText(input: string, opts: PlainTextOptions): Alert[] {
  const text = input.trim();
  if (RESOLVED_MARKER.test(text)) fail('plain-text alert is marked resolved, nothing is firing');
  const firstLine = (text.split(/\r?\n/)[0] ?? '').trim();

  let rest = firstLine;
  let severityWord: string | undefined;
  let marked = false;
  // Strip any mix of leading status and severity markers: "[FIRING] [CRITICAL] …", "CRITICAL: …".
  for (let i = 0; i < 3; i++) {
    const status = STATUS_MARKER.exec(rest);
    if (status) {
      marked = true;
      rest = rest.slice(status[0].length);
      continue;
    }
    const sev = SEVERITY_PREFIX.exec(rest);
    if (sev) {
      marked = true;
      severityWord ??= sev[1] ?? sev[2];
      rest = rest.slice(sev[0].length);
      continue;
    }
    break;
  }
  const alertnameKv = ALERTNAME_KV.exec(text);
  if (alertnameKv) marked = true;
  if (!marked || rest.trim() === '' && !alertnameKv) {
    fail('text does not look like an alert (expected e.g. "[FIRING] HighErrorRate api-gateway: 5xx above 5%")');
  }

  severityWord ??= SEVERITY_KV.exec(text)?.[1] ?? SEVERITY_IN_BRACKETS.exec(rest)?.[1] ?? SEVERITY_ANYWHERE.exec(rest)?.[1];
  const severity: Severity = severityWord ? mapTextSeverity(severityWord) : 'warning';

  const service = findService(text, opts.knownServices);
  const name = alertnameKv?.[1] ?? CAMEL_NAME.exec(rest)?.[1] ?? symptomName(rest) ?? fallbackName(rest, service);

  const summary = [rest.trim(), ...text.split(/\r?\n/).slice(1)].join('\n').trim() || name;
  const labels: Record<string, string> = { alertname: name, severity };
  if (service) labels['service'] = service;
  return [{ name, severity, ...(service ? { service } : {}), summary, labels, startsAt: opts.now(), startsAtKnown: false, source: 'plain-text' }];
}

function mapTextSeverity(word: string): Severity {
  const w = word.toLowerCase().replace('-', '');
  if (/^(p0|p1|sev0|sev1)$/.test(w)) return 'critical';
  if (/^(p2|sev2)$/.test(w)) return 'high';
  if (/^(p3|sev3)$/.test(w)) return 'warning';
  if (/^(p4|sev4)$/.test(w)) return 'info';
  return mapSeverity(w);
}

/** Finds a service: an explicit `service=x`, then a known name, then a kebab/snake identifier. */
export function findService(text: string, known?: readonly string[]): string | undefined {
  const kv = SERVICE_KV.exec(text)?.[1];
  if (kv) return kv;
  if (known && known.length > 0) {
    const lower = text.toLowerCase();
    // Longest names first so that "payment-gateway" wins over "payment".
    const sorted = [...known].sort((a, b) => b.length - a.length);
    for (const name of sorted) {
      const re = new RegExp(`(?<![\\w-])${escapeRegExp(name.toLowerCase())}(?![\\w-])`);
      if (re.test(lower)) return name;
    }
  }
  for (const m of text.matchAll(SERVICE_TOKEN)) {
    const token = m[1];
    if (token && !NOT_SERVICES.has(token.toLowerCase())) return token;
  }
  return undefined;
}

function symptomName(text: string): string | undefined {
  for (const [re, name] of SYMPTOM_NAMES) if (re.test(text)) return name;
  return undefined;
}

function fallbackName(text: string, service: string | undefined): string {
  const words = text
    .replace(service ?? '\u0000', ' ')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 1 && !/^\d+$/.test(w))
    .slice(0, 4);
  const name = words.map((w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()).join('');
  return name || 'Alert';
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
