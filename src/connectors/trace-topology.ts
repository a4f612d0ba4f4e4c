import type { ChangeEvent, Cmdb, CmdbService, ComponentKind, Span } from '../model/telemetry.js';
import { topologyFromSpans } from './otlp/topology.js';
import type { CmdbSource, TraceSource } from './types.js';

/**
 * A CMDB discovered from traces (the OTLP receiver's, Jaeger's or Tempo's), for deployments without a curated one or
 * to add what it misses: services are the spans' services, dependencies the call graph (topologyFromSpans); a callee
 * only known from a client span's peer attributes is a database, cache, queue or external API by those attributes.
 * Deploys show up too: when the spans of a service carry a new `service.version` (a resource attribute every
 * OpenTelemetry SDK sets from OTEL_SERVICE_VERSION), the first span of the new version dates a `deploy` change.
 * Owners and tiers are unknown ("unknown", 2): a curated CMDB listed first wins over this one on those.
 */
export class TraceTopology implements CmdbSource {
  private cached: { at: number; cmdb: Promise<Cmdb> } | null = null;

  constructor(
    private readonly traces: TraceSource,
    private readonly now: () => number,
    /** how far back a service, call or version counts */
    private readonly lookbackMs = 60 * 60_000,
    /** one investigation asks for the CMDB several times: an answer this fresh is reused */
    private readonly ttlMs = 15_000,
  ) {}

  snapshot(): Promise<Cmdb> {
    const at = Date.now();
    if (!this.cached || at - this.cached.at > this.ttlMs) {
      const now = this.now();
      const cmdb = this.traces.spans({ fromMs: now - this.lookbackMs, toMs: now + 1 }).then(cmdbFromSpans);
      this.cached = { at, cmdb };
      cmdb.catch(() => (this.cached = null));
    }
    return this.cached.cmdb.then((c) => structuredClone(c));
  }
}

export function cmdbFromSpans(spans: readonly Span[]): Cmdb {
  const services = new Map<string, CmdbService>();
  const service = (name: string, kind: ComponentKind = 'service') => {
    let s = services.get(name);
    if (!s) services.set(name, (s = { name, kind, tier: 2, owner: 'unknown', hosts: [], dependsOn: [] }));
    return s;
  };
  const hosts = new Map<string, Set<string>>();
  for (const s of spans) {
    service(s.service);
    const host = s.attributes['host.name'];
    if (typeof host === 'string' && host) (hosts.get(s.service) ?? hosts.set(s.service, new Set()).get(s.service)!).add(host);
  }
  const peerKinds = peerComponentKinds(spans);
  for (const edge of topologyFromSpans(spans)) {
    const callee = services.get(edge.callee) ?? service(edge.callee, peerKinds.get(edge.callee) ?? 'external');
    const caller = service(edge.caller);
    if (!caller.dependsOn.includes(callee.name)) caller.dependsOn.push(callee.name);
  }
  for (const [name, set] of hosts) services.get(name)!.hosts = [...set].sort();
  const changes = deploysFromVersions(spans);
  for (const c of changes) {
    const s = services.get(c.target);
    if (s && c.to) s.version = c.to;
  }
  for (const s of services.values()) s.dependsOn.sort();
  return { services: [...services.values()].sort((a, b) => a.name.localeCompare(b.name)), hosts: [], changes };
}

/** per service, versions in order of first appearance: every version after the first is a deploy at its first span */
export function deploysFromVersions(spans: readonly Span[]): ChangeEvent[] {
  const firstSeen = new Map<string, Map<string, number>>();
  for (const s of spans) {
    const v = s.attributes['service.version'];
    if (typeof v !== 'string' || !v) continue;
    const versions = firstSeen.get(s.service) ?? firstSeen.set(s.service, new Map()).get(s.service)!;
    const seen = versions.get(v);
    if (seen === undefined || s.startMs < seen) versions.set(v, s.startMs);
  }
  const out: ChangeEvent[] = [];
  for (const [svc, versions] of firstSeen) {
    const ordered = [...versions].sort((a, b) => a[1] - b[1]);
    for (let i = 1; i < ordered.length; i++) {
      const [to, ts] = ordered[i]!;
      const from = ordered[i - 1]![0];
      out.push({ id: `observed-deploy-${svc}-${to}`, ts, kind: 'deploy', target: svc, description: `${svc} ${from} → ${to} (first span of the new version)`, from, to, author: 'observed in traces (service.version)' });
    }
  }
  return out.sort((a, b) => a.ts - b.ts);
}

function peerComponentKinds(spans: readonly Span[]): Map<string, ComponentKind> {
  const kinds = new Map<string, ComponentKind>();
  for (const s of spans) {
    if (s.kind !== 'CLIENT' && s.kind !== 'PRODUCER') continue;
    const peer = s.attributes['peer.service'] ?? s.attributes['server.address'] ?? s.attributes['net.peer.name'] ?? s.attributes['db.system.name'] ?? s.attributes['db.system'] ?? s.attributes['messaging.system'];
    if (typeof peer !== 'string' || !peer) continue;
    const db = s.attributes['db.system.name'] ?? s.attributes['db.system'];
    if (typeof db === 'string') kinds.set(peer, db === 'redis' || db === 'memcached' ? 'cache' : 'database');
    else if (s.kind === 'PRODUCER' || s.attributes['messaging.system'] !== undefined) kinds.set(peer, 'queue');
  }
  return kinds;
}
