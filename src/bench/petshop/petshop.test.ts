import { describe, expect, it } from 'vitest';
import { type MetricsTable, parseGraphCsv, parseMetricsCsv, parseTarget, splitCsvLine, toMetricSeries } from './parse.js';
import { PETSHOP_PARAMS, gatherEvidence, poissonUpperTailNegLog, rankRootCauses, triggerRow } from './rank.js';

const HEADER = [
  'microservice,A,A,"B,x",B',
  'metric,latency,availability,latency,requests',
  'statistic,Average,Average,p50,Sum',
  'unix_timestamp,,,,',
].join('\n');

describe('PetShop metrics CSV', () => {
  it('reads the three header rows, skips the index label row, keeps missing cells as NaN', () => {
    const t = parseMetricsCsv(`${HEADER}\n1681857120.0,0.5,100.0,,12\n1681857420.0,0.7,,0.25,14\n`);
    expect(t.ts).toEqual([1681857120000, 1681857420000]);
    expect(t.columns.map((c) => [c.node, c.metric, c.statistic])).toEqual([
      ['A', 'latency', 'Average'],
      ['A', 'availability', 'Average'],
      ['B,x', 'latency', 'p50'],
      ['B', 'requests', 'Sum'],
    ]);
    expect(t.columns[0]!.values).toEqual([0.5, 0.7]);
    expect(t.columns[1]!.values[1]).toBeNaN();
    expect(t.columns[2]!.values[0]).toBeNaN();
    const series = toMetricSeries(t);
    expect(series[2]).toEqual({ entity: 'B,x', metric: 'latency.p50', points: [{ ts: 1681857420000, value: 0.25 }] });
  });

  it('splits quoted cells', () => {
    expect(splitCsvLine('a,"b,c","d""e",')).toEqual(['a', 'b,c', 'd"e', '']);
  });

  it('reads the adjacency matrix as caller → callee and the target file', () => {
    const g = parseGraphCsv(',A,B,C\nA,0.0,1.0,0.0\nB,0.0,0.0,1.0\nC,0.0,0.0,0.0\n');
    expect(g.callees.get('A')).toEqual(['B']);
    expect(g.callers.get('C')).toEqual(['B']);
    expect(g.nodes).toEqual(['A', 'B', 'C']);
    const t = parseTarget('{"target":{"node":"A","metric":"latency","agg":"Average","timestamp":100},"root_cause":{"node":"C","metric":null}}');
    expect(t).toEqual({ target: { node: 'A', metric: 'latency', statistic: 'Average', ts: 100_000 }, rootCause: 'C' });
  });

  it('finds the row holding the violation', () => {
    expect(triggerRow([0, 300, 600, 900], 450)).toBe(1);
    expect(triggerRow([0, 300, 600], -5)).toBe(0);
  });
});

/** A table with one latency, availability and requests column per node, generated from per-row functions. */
function table(nodes: string[], rows: number, fn: (node: string, row: number) => { lat: number; avail: number; req: number }): MetricsTable {
  const ts = Array.from({ length: rows }, (_, i) => i * 300_000);
  const columns = nodes.flatMap((node) => [
    { node, metric: 'latency', statistic: 'Average', values: ts.map((_, i) => fn(node, i).lat) },
    { node, metric: 'availability', statistic: 'Average', values: ts.map((_, i) => fn(node, i).avail) },
    { node, metric: 'requests', statistic: 'Sum', values: ts.map((_, i) => fn(node, i).req) },
  ]);
  return { ts, columns };
}

describe('PetShop root-cause ranking', () => {
  // front → mid → db (root, two hops below the symptom); front → cache; mid → queue; front → remote leaf
  const nodes = ['front', 'mid', 'db', 'cache', 'queue', 'remote'];
  const adj: Record<string, string[]> = { front: ['mid', 'cache', 'remote'], mid: ['db', 'queue'] };
  const graphCsv = [`,${nodes.join(',')}`, ...nodes.map((n) => `${n},${nodes.map((m) => ((adj[n] ?? []).includes(m) ? '1.0' : '0.0')).join(',')}`)].join('\n');
  const graph = parseGraphCsv(graphCsv);
  const baseLat: Record<string, number> = { front: 0.3, mid: 0.2, db: 0.05, cache: 0.01, queue: 0.02, remote: 0.1 };
  const wiggle = (node: string, i: number) => 1 + 0.03 * Math.sin(i * 1.7 + node.length);
  const normal = table(nodes, 60, (n, i) => ({ lat: baseLat[n]! * wiggle(n, i), avail: 100, req: 500 }));

  it('puts a latency root cause two hops below the symptom first', () => {
    // from row 2 on, db is 0.3 s slower; mid and front inherit it; the remote leaf shows a smaller rise of its own
    const slow = (n: string, i: number) => (i >= 2 && ['db', 'mid', 'front'].includes(n) ? 0.3 : i >= 2 && n === 'remote' ? 0.05 : 0);
    const issue = table(nodes, 5, (n, i) => ({ lat: baseLat[n]! * wiggle(n, i + 7) + slow(n, i), avail: 100, req: 500 }));
    const target = { node: 'front', metric: 'latency', statistic: 'Average', ts: 2 * 300_000 + 60_000 };
    const evidence = gatherEvidence(graph, normal, issue, target);
    expect(evidence.get('db')?.anomalous).toBe(true);
    expect(evidence.get('cache')?.anomalous).toBe(false);
    const ranked = rankRootCauses(graph, evidence, 'front');
    expect(ranked[0]!.node).toBe('db');
    expect(ranked.findIndex((r) => r.node === 'mid')).toBeGreaterThan(0);
  });

  it('puts an availability root cause two hops below the symptom first', () => {
    // db fails 4 % of its calls from row 2 on; mid and front pass the errors up
    const issue = table(nodes, 5, (n, i) => ({
      lat: baseLat[n]! * wiggle(n, i),
      avail: i >= 2 && ['db', 'mid'].includes(n) ? 96 : i >= 2 && n === 'front' ? 96.5 : 100,
      req: 500,
    }));
    const target = { node: 'front', metric: 'availability', statistic: 'Average', ts: 2 * 300_000 };
    const evidence = gatherEvidence(graph, normal, issue, target);
    const ranked = rankRootCauses(graph, evidence, 'front');
    expect(ranked.slice(0, 3).map((r) => r.node)).toEqual(['db', 'mid', 'front']);
  });

  it('ignores an anomaly that was already there before the violation', () => {
    const issue = table(nodes, 5, (n, i) => ({
      lat: baseLat[n]! * wiggle(n, i) + (n === 'queue' ? 0.2 : 0) + (i >= 2 && ['mid', 'front'].includes(n) ? 0.3 : 0),
      avail: 100,
      req: 500,
    }));
    const target = { node: 'front', metric: 'latency', statistic: 'Average', ts: 2 * 300_000 };
    const evidence = gatherEvidence(graph, normal, issue, target, PETSHOP_PARAMS);
    expect(evidence.get('queue')?.anomalous).toBe(false);
    expect(rankRootCauses(graph, evidence, 'front')[0]!.node).toBe('mid');
  });

  it('does not follow a callee whose anomaly started after its caller\'s', () => {
    // mid is slow from row 1; its callee queue only from row 3, and much more: queue is a later consequence
    const issue = table(nodes, 5, (n, i) => ({
      lat: baseLat[n]! * wiggle(n, i) + (i >= 1 && ['mid', 'front'].includes(n) ? 0.3 : 0) + (i >= 3 && n === 'queue' ? 1 : 0),
      avail: 100,
      req: 500,
    }));
    const target = { node: 'front', metric: 'latency', statistic: 'Average', ts: 1 * 300_000 };
    const evidence = gatherEvidence(graph, normal, issue, target);
    expect(evidence.get('queue')?.anomalous).toBe(true);
    expect(rankRootCauses(graph, evidence, 'front')[0]!.node).toBe('mid');
    expect(rankRootCauses(graph, evidence, 'front', { ...PETSHOP_PARAMS, temporalPaths: false })[0]!.node).toBe('queue');
  });

  it('scores error surprise with a Poisson tail', () => {
    expect(poissonUpperTailNegLog(0, 1)).toBe(0);
    expect(poissonUpperTailNegLog(1, 0.5)).toBeCloseTo(-Math.log(1 - Math.exp(-0.5)), 6);
    expect(poissonUpperTailNegLog(20, 1)).toBeGreaterThan(poissonUpperTailNegLog(10, 1));
  });
});
