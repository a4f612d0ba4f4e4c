import { parseAlertmanager, looksLikeAlertmanager } from './alertmanager.js';
import { AlertParseError, finalize, isRecord, typeName, type ParseOptions, type ParseResult } from './common.js';
import { looksLikeDatadog, parseDatadog } from './datadog.js';
import { looksLikeGrafana, parseGrafana } from './grafana.js';
import { looksLikePagerDuty, parsePagerDuty } from './pagerduty.js';
import { looksLikeZabbix, parseZabbix } from './zabbix.js';
import { looksLikeMinimal, parseMinimal } from './minimal.js';
import { parsePlainText } from './plain-text.js';

export type { ParseOptions, ParseResult } from './common.js';
export { mapSeverity, serviceFromLabels } from './common.js';
export { findService } from './plain-text.js';

/** Largest input we look at; alert payloads are small, a huge paste is a mistake. */
export const MAX_ALERT_INPUT = 1_000_000;

/**
 * Parses an alert in any supported format, recognised by structure: Grafana unified alerting webhook, Alertmanager
 * webhook (or a bare list of Alertmanager alerts), PagerDuty v3, Datadog and Zabbix webhooks, a minimal JSON alert,
 * or plain text. Never throws.
 */
export function parseAlert(input: string, options: ParseOptions = {}): ParseResult {
  const now = options.now ?? Date.now;
  try {
    if (typeof input !== 'string') return { ok: false, error: `alert input must be a string, got ${typeName(input)}` };
    const raw = input.replace(/^\uFEFF/, '');
    const text = raw.trim();
    if (text === '') return { ok: false, error: 'alert input is empty' };
    if (text.length > MAX_ALERT_INPUT) return { ok: false, error: `alert input is too large (${text.length} characters)` };

    if (looksLikeJson(text)) {
      let payload: unknown;
      try {
        payload = JSON.parse(raw);
      } catch (e) {
        return { ok: false, error: malformedJson(e, raw) };
      }
      if (looksLikeGrafana(payload)) return finalize(parseGrafana(payload));
      if (looksLikeAlertmanager(payload)) return finalize(parseAlertmanager(payload));
      if (looksLikePagerDuty(payload)) return finalize(parsePagerDuty(payload, now));
      if (looksLikeDatadog(payload)) return finalize(parseDatadog(payload, now));
      if (looksLikeZabbix(payload)) return finalize(parseZabbix(payload, now));
      if (looksLikeMinimal(payload)) return finalize(parseMinimal(payload, now));
      if (Array.isArray(payload)) {
        return { ok: false, error: payload.length === 0 ? 'alert list is empty' : 'alert list items must be Alertmanager alerts with "labels"' };
      }
      if (isRecord(payload)) {
        return {
          ok: false,
          error: 'alert JSON is not an Alertmanager, Grafana, PagerDuty, Datadog, Zabbix or minimal alert (no "alerts", "event", "title" or "name")',
        };
      }
      return { ok: false, error: `alert JSON must be an object, got ${typeName(payload)}` };
    }
    return finalize(parsePlainText(text, { now, ...(options.knownServices ? { knownServices: options.knownServices } : {}) }));
  } catch (e) {
    if (e instanceof AlertParseError) return { ok: false, error: e.message };
    return { ok: false, error: `alert could not be parsed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** `{…}` or a JSON list; `[FIRING] …` and `[CRITICAL] …` are plain text. */
function looksLikeJson(text: string): boolean {
  return text.startsWith('{') || /^\[\s*(?:[{["\]]|-?\d|true\b|false\b|null\b|$)/.test(text);
}

function malformedJson(e: unknown, text: string): string {
  const msg = e instanceof Error ? e.message : String(e);
  const pos = /position (\d+)/.exec(msg)?.[1];
  const at = pos !== undefined ? Number(pos) : text.trimEnd().length;
  const { line, column } = lineColumn(text, at);
  return `alert JSON is malformed at position ${at} (line ${line}, column ${column}): ${msg.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '')}`;
}

function lineColumn(text: string, at: number): { line: number; column: number } {
  const before = text.slice(0, at);
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}
