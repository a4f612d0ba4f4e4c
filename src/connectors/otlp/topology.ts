import type { Span, TimeWindow } from '../../model/telemetry.js';

/**
 * The service call graph as the spans show it. An edge caller → callee comes from
 *  - a span whose parent belongs to another service (the usual CLIENT span in the caller, SERVER span in the callee);
 *    latency and errors are the caller's CLIENT span's when there is one (what the caller waited for), else the
 *    callee's span's;
 *  - a CLIENT or PRODUCER span with no child in another service: the callee is not instrumented (a database, a queue,
 *    an external API), so it is named by the span's peer attributes (peer.service, server.address, db.system …).
 * Both CMDB topology and the experts can merge these edges with what they already know.
 */

export interface CallEdge {
  caller: string;
  callee: string;
  calls: number;
  errors: number;
  /** errors / calls */
  errorRatio: number;
  /** calls per minute over the window (or the spans' own time extent, at least a minute) */
  ratePerMinute: number;
  latencyMeanMs: number;
  latencyP95Ms: number;
  /** how the edge was found: parent/child spans across services, or a client span's peer attributes */
  source: 'spans' | 'peer';
}

const PEER_ATTRIBUTES = ['peer.service', 'server.address', 'net.peer.name', 'db.system.name', 'db.system', 'messaging.system', 'rpc.service'];

export function topologyFromSpans(spans: readonly Span[], window?: TimeWindow): CallEdge[] {
  const byId = new Map<string, Span>();
  for (const s of spans) byId.set(`${s.traceId}/${s.spanId}`, s);
  const acc = new Map<string, { caller: string; callee: string; source: CallEdge['source']; latencies: number[]; errors: number }>();
  const record = (caller: string, callee: string, source: CallEdge['source'], latencyMs: number, error: boolean) => {
    const key = `${caller}\u0000${callee}`;
    let e = acc.get(key);
    if (!e) acc.set(key, (e = { caller, callee, source, latencies: [], errors: 0 }));
    e.latencies.push(latencyMs);
    if (error) e.errors++;
    if (source === 'spans') e.source = 'spans';
  };

  const parentsWithRemoteChild = new Set<string>();
  for (const s of spans) {
    if (!s.parentSpanId) continue;
    const parentKey = `${s.traceId}/${s.parentSpanId}`;
    const parent = byId.get(parentKey);
    if (!parent || parent.service === s.service) continue;
    parentsWithRemoteChild.add(parentKey);
    const measured = parent.kind === 'CLIENT' || parent.kind === 'PRODUCER' ? parent : s;
    record(parent.service, s.service, 'spans', measured.endMs - measured.startMs, s.status === 'ERROR' || measured.status === 'ERROR');
  }
  for (const s of spans) {
    if ((s.kind !== 'CLIENT' && s.kind !== 'PRODUCER') || parentsWithRemoteChild.has(`${s.traceId}/${s.spanId}`)) continue;
    const peer = peerName(s);
    if (peer && peer !== s.service) record(s.service, peer, 'peer', s.endMs - s.startMs, s.status === 'ERROR');
  }

  const minutes = windowMinutes(spans, window);
  return [...acc.values()]
    .map((e) => {
      const sorted = [...e.latencies].sort((a, b) => a - b);
      const calls = sorted.length;
      return {
        caller: e.caller,
        callee: e.callee,
        calls,
        errors: e.errors,
        errorRatio: e.errors / calls,
        ratePerMinute: calls / minutes,
        latencyMeanMs: sorted.reduce((a, b) => a + b, 0) / calls,
        latencyP95Ms: sorted[Math.min(calls - 1, Math.ceil(0.95 * calls) - 1)] ?? 0,
        source: e.source,
      };
    })
    .sort((a, b) => a.caller.localeCompare(b.caller) || a.callee.localeCompare(b.callee));
}

function peerName(s: Span): string | undefined {
  for (const key of PEER_ATTRIBUTES) {
    const v = s.attributes[key];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

function windowMinutes(spans: readonly Span[], window: TimeWindow | undefined): number {
  if (window) return Math.max((window.toMs - window.fromMs) / 60_000, 1 / 60_000);
  let from = Infinity;
  let to = -Infinity;
  for (const s of spans) {
    from = Math.min(from, s.startMs);
    to = Math.max(to, s.endMs);
  }
  return Math.max((to - from) / 60_000, 1);
}
