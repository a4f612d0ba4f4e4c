import type { Cmdb, ComponentKind } from '../model/telemetry.js';

/**
 * The dependency graph that root-cause ranking walks. Links ("caller->callee") are nodes of their own, sitting
 * between the two services, so a fault on one link can be told apart from a fault in either end.
 */
export interface DependencyGraph {
  nodes: Set<string>;
  kindOf(component: string): ComponentKind | 'link' | 'unknown';
  /** direct dependencies (what this component calls) */
  callees(component: string): string[];
  /** direct dependants (who calls this component) */
  callers(component: string): string[];
  /** every component whose requests reach this one, transitively (its blast radius upstream) */
  upstreamOf(component: string): Set<string>;
  /** every component this one depends on, transitively */
  downstreamOf(component: string): Set<string>;
  /**
   * Components whose failure loads this one without calling it: for a database, the caches in front of it (their
   * callers fall back to the database on a miss).
   */
  shadowedBy(component: string): string[];
  hostOf(service: string): string[];
  servicesOnHost(host: string): string[];
}

export const linkName = (caller: string, callee: string): string => `${caller}->${callee}`;

export function parseLink(component: string): { caller: string; callee: string } | null {
  const parts = component.split('->');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return null;
  return { caller: parts[0], callee: parts[1] };
}

export function buildGraph(cmdb: Cmdb): DependencyGraph {
  const kinds = new Map<string, ComponentKind | 'link'>();
  const out = new Map<string, string[]>();
  const inc = new Map<string, string[]>();
  const add = (from: string, to: string) => {
    out.set(from, [...(out.get(from) ?? []), to]);
    inc.set(to, [...(inc.get(to) ?? []), from]);
  };
  for (const s of cmdb.services) kinds.set(s.name, s.kind);
  for (const s of cmdb.services) {
    for (const dep of s.dependsOn) {
      const link = linkName(s.name, dep);
      kinds.set(link, 'link');
      add(s.name, link);
      add(link, dep);
    }
  }
  const walk = (start: string, next: Map<string, string[]>) => {
    const seen = new Set<string>();
    const stack = [...(next.get(start) ?? [])];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (seen.has(node) || node === start) continue;
      seen.add(node);
      stack.push(...(next.get(node) ?? []));
    }
    return seen;
  };
  const hostsByService = new Map(cmdb.services.map((s) => [s.name, s.hosts]));
  return {
    nodes: new Set(kinds.keys()),
    kindOf: (c) => kinds.get(c) ?? 'unknown',
    callees: (c) => out.get(c) ?? [],
    callers: (c) => inc.get(c) ?? [],
    upstreamOf: (c) => walk(c, inc),
    downstreamOf: (c) => walk(c, out),
    shadowedBy: (c) => {
      if (kinds.get(c) !== 'database') return [];
      const users = new Set(cmdb.services.filter((s) => s.dependsOn.includes(c)).map((s) => s.name));
      return cmdb.services
        .filter((cache) => cache.kind === 'cache' && cmdb.services.some((s) => users.has(s.name) && s.dependsOn.includes(cache.name)))
        .map((cache) => cache.name);
    },
    hostOf: (s) => hostsByService.get(s) ?? [],
    servicesOnHost: (h) => cmdb.services.filter((s) => s.hosts.includes(h)).map((s) => s.name),
  };
}

/** Services only, links skipped: what people mean by "who calls X". */
export function serviceCallers(graph: DependencyGraph, component: string): string[] {
  return graph.callers(component).flatMap((c) => (graph.kindOf(c) === 'link' ? graph.callers(c) : [c]));
}
