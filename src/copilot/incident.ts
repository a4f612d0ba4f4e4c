import { randomBytes } from 'node:crypto';
import type { Alert, Incident, Signal, ThreadRef } from '../model/incident.js';

/**
 * Turns a signal into an incident: a unique id, a title people recognise, and the symptoms to explain. The id reads as
 * the alert's minute plus random bits: never derived from the alert or a seed, so a replay never overwrites an
 * earlier incident (recognising a repeat of the same alert is the conversation layer's job, by alert identity).
 */
export function openIncident(signal: Signal, thread: ThreadRef, knownServices: string[]): Incident {
  const at = signal.kind === 'alert' ? signal.alert.startsAt : signal.receivedAt;
  const title = signal.kind === 'alert' ? alertTitle(signal.alert) : signal.text.slice(0, 120);
  const services = signal.kind === 'alert' ? alertServices(signal.alert, knownServices) : mentionedServices(signal.text, knownServices);
  const digest = randomBytes(4).toString('hex');
  return {
    id: `INC-${new Date(at).toISOString().slice(0, 16).replace(/[-:T]/g, '')}-${digest}`,
    title,
    severity: signal.kind === 'alert' ? signal.alert.severity : 'warning',
    services,
    window: { fromMs: at - 30 * 60_000, toMs: Math.max(at, signal.receivedAt) },
    thread,
    status: 'investigating',
    signal,
    createdAt: signal.receivedAt,
  };
}

function alertTitle(alert: Alert): string {
  return alert.service ? `${alert.name} on ${alert.service}` : alert.name;
}

/** The alert's own labels name its subject; free text is only a fallback ("payment success rate" is a KPI, not payment-service). */
function alertServices(alert: Alert, known: string[]): string[] {
  const subjects = new Set([...known, 'business']);
  const named = [alert.service, alert.labels.service, alert.labels.job, alert.labels.app].filter((s): s is string => !!s && subjects.has(s));
  if (named.length > 0) return [...new Set(named)];
  const fromText = mentionedServices(alert.summary, known);
  return fromText.length > 0 ? fromText : alert.service ? [alert.service] : [];
}

/** Service names mentioned in free text, by whole name or by the name without its "-service" suffix. */
export function mentionedServices(text: string, known: string[]): string[] {
  const lower = text.toLowerCase();
  return known.filter((name) => {
    const short = name.replace(/-(service|frontend|gateway|main|cache)$/, '');
    return new RegExp(`\\b${escapeRegex(name)}\\b`).test(lower) || (short.length >= 4 && new RegExp(`\\b${escapeRegex(short)}\\b`).test(lower));
  });
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
