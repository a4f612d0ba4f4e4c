import type { Cmdb, CmdbHost, CmdbService } from '../../model/telemetry.js';
import type { CmdbSource } from '../types.js';
import type { PromResult } from './client.js';
import { duration, stripPort } from './promql.js';
import type { PrometheusMetricsSource } from './source.js';

/**
 * A CMDB discovered from metrics alone, for deployments without one: services are the service-label values that serve
 * HTTP or report process metrics, dependencies are the client metrics' edges (caller → server_address; a callee that
 * is not itself a service is `external`), hosts are node-exporter instances (CPUs, memory, largest filesystem), and a
 * service runs on the hosts whose instance its process metrics come from. Owners and tiers are unknown ("unknown", 2);
 * no changes. A real CMDB, when there is one, is better: this is the fallback that lets the experts work at all.
 */
export class PrometheusTopology implements CmdbSource {
  constructor(
    private readonly source: PrometheusMetricsSource,
    /** how far back a service or edge counts as present */
    private readonly lookbackMs = 15 * 60_000,
  ) {}

  async snapshot(): Promise<Cmdb> {
    const L = await this.source.resolveServiceLabel();
    const w = duration(this.lookbackMs);
    const q = (promql: string) => this.source.client.query(promql);
    const [served, processes, edges, cpus, memory, disk] = await Promise.all([
      q(`group by (${L}) (last_over_time(http_server_request_duration_seconds_count{ ${L}!="" }[${w}]))`),
      q(`group by (${L}, instance) (last_over_time(process_cpu_seconds_total{ ${L}!="" }[${w}]))`),
      q(`group by (${L}, server_address) (last_over_time(http_client_request_duration_seconds_count{ ${L}!="", server_address!="" }[${w}]))`),
      q('count by (instance) (node_cpu_seconds_total{ mode="idle" })'),
      q('max by (instance) (node_memory_MemTotal_bytes)'),
      q('max by (instance) (node_filesystem_size_bytes{ fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs|autofs" })'),
    ]);
    const gib = 1024 ** 3;
    const hostValues = (r: PromResult) => new Map(r.series.flatMap((s) => (s.labels['instance'] && s.points[0] ? [[stripPort(s.labels['instance']), s.points[0].value] as const] : [])));
    const cpuByHost = hostValues(cpus);
    const memByHost = hostValues(memory);
    const diskByHost = hostValues(disk);
    const hosts: CmdbHost[] = [...cpuByHost.keys()].sort().map((name) => ({
      name,
      zone: 'unknown',
      cpus: cpuByHost.get(name) ?? 0,
      memoryGb: round1((memByHost.get(name) ?? 0) / gib),
      diskGb: round1((diskByHost.get(name) ?? 0) / gib),
    }));
    const hostNames = new Set(hosts.map((h) => h.name));

    const services = new Map<string, { hosts: Set<string>; dependsOn: Set<string> }>();
    const service = (name: string) => {
      let s = services.get(name);
      if (!s) services.set(name, (s = { hosts: new Set(), dependsOn: new Set() }));
      return s;
    };
    for (const s of served.series) if (s.labels[L]) service(s.labels[L]);
    for (const s of processes.series) {
      const name = s.labels[L];
      if (!name) continue;
      const host = s.labels['instance'] ? stripPort(s.labels['instance']) : undefined;
      const entry = service(name);
      if (host && hostNames.has(host)) entry.hosts.add(host);
    }
    const externals = new Set<string>();
    for (const s of edges.series) {
      const caller = s.labels[L];
      const callee = s.labels['server_address'];
      if (!caller || !callee || caller === callee) continue;
      service(caller).dependsOn.add(callee);
      externals.add(callee);
    }
    for (const name of services.keys()) externals.delete(name);

    const out: CmdbService[] = [...services].map(([name, s]) => ({
      name,
      kind: 'service',
      tier: 2,
      owner: 'unknown',
      hosts: [...s.hosts].sort(),
      dependsOn: [...s.dependsOn].sort(),
    }));
    for (const name of externals) out.push({ name, kind: 'external', tier: 2, owner: 'unknown', hosts: [], dependsOn: [] });
    return { services: out.sort((a, b) => a.name.localeCompare(b.name)), hosts, changes: [] };
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
