import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { MetricSeries } from '../../model/telemetry.js';

/**
 * Readers for the PetShop RCA dataset (amazon-science/petshop-root-cause-analysis). A metrics file has a three-row
 * header (microservice / metric / statistic) plus a fourth row naming the index column (`unix_timestamp`); the first
 * column holds Unix seconds, one row per 5-minute step, and empty cells are missing values.
 */

export interface MetricColumn {
  node: string;
  /** latency | requests | availability */
  metric: string;
  /** Average | p50 | p90 | p95 | p99 | Sum */
  statistic: string;
  /** one value per row, NaN when missing */
  values: number[];
}

export interface MetricsTable {
  /** epoch milliseconds of each row */
  ts: number[];
  columns: MetricColumn[];
}

/** Splits one CSV line, honouring double quotes ("a,b" and "" escapes). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const lines = (text: string): string[] => text.split(/\r?\n/).filter((l) => l.trim() !== '');

/**
 * Parses the multi-row-header metrics CSV. Header rows are recognised by the first cell of the first three lines
 * (the node row, the metric row, the statistic row, whatever their labels); every further line whose first cell is
 * not a number (the `unix_timestamp` label row) is skipped.
 */
export function parseMetricsCsv(text: string): MetricsTable {
  const rows = lines(text).map(splitCsvLine);
  if (rows.length < 3) throw new Error('metrics CSV needs three header rows (node, metric, statistic)');
  const [nodes, metrics, stats] = [rows[0]!, rows[1]!, rows[2]!];
  const columns: MetricColumn[] = [];
  for (let i = 1; i < nodes.length; i++) {
    columns.push({ node: nodes[i]!.trim(), metric: (metrics[i] ?? '').trim(), statistic: (stats[i] ?? '').trim(), values: [] });
  }
  const ts: number[] = [];
  for (const row of rows.slice(3)) {
    const t = Number(row[0]);
    if (row[0]?.trim() === '' || !Number.isFinite(t)) continue;
    ts.push(Math.round(t * 1000));
    columns.forEach((c, i) => {
      const cell = row[i + 1]?.trim() ?? '';
      const v = cell === '' ? NaN : Number(cell);
      c.values.push(Number.isFinite(v) ? v : NaN);
    });
  }
  return { ts, columns };
}

/** The table as the project's MetricSeries: entity = node, metric = "latency.Average" etc.; missing values dropped. */
export function toMetricSeries(table: MetricsTable): MetricSeries[] {
  return table.columns.map((c) => ({
    entity: c.node,
    metric: `${c.metric}.${c.statistic}`,
    points: c.values.flatMap((v, i) => (Number.isFinite(v) ? [{ ts: table.ts[i]!, value: v }] : [])),
  }));
}

export interface CallGraph {
  nodes: string[];
  /** caller → callees */
  callees: Map<string, string[]>;
  /** callee → callers */
  callers: Map<string, string[]>;
}

/** graph.csv: a square adjacency matrix, row = caller, column = callee, non-zero = an edge. */
export function parseGraphCsv(text: string): CallGraph {
  const rows = lines(text).map(splitCsvLine);
  const header = rows[0]!.slice(1).map((s) => s.trim());
  const callees = new Map<string, string[]>();
  const callers = new Map<string, string[]>();
  const nodes = new Set<string>(header);
  for (const row of rows.slice(1)) {
    const from = row[0]!.trim();
    nodes.add(from);
    row.slice(1).forEach((cell, j) => {
      const to = header[j];
      if (to === undefined || !(Number(cell) !== 0 && cell.trim() !== '') || to === from) return;
      callees.set(from, [...(callees.get(from) ?? []), to]);
      callers.set(to, [...(callers.get(to) ?? []), from]);
    });
  }
  return { nodes: [...nodes], callees, callers };
}

export interface IssueTarget {
  node: string;
  metric: string;
  statistic: string;
  /** epoch milliseconds of the SLO violation */
  ts: number;
}

export interface Issue {
  id: string;
  target: IssueTarget;
  rootCause: string;
  metrics: MetricsTable;
}

export interface TrafficSplit {
  name: string;
  graph: CallGraph;
  normal: MetricsTable;
  train: Issue[];
  test: Issue[];
}

function readText(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8');
  if (existsSync(`${file}.gz`)) return gunzipSync(readFileSync(`${file}.gz`)).toString('utf8');
  throw new Error(`missing ${file}`);
}

export function parseTarget(json: string): { target: IssueTarget; rootCause: string } {
  const t = JSON.parse(json) as { target: { node: string; metric: string; agg?: string; timestamp: number }; root_cause: { node: string } };
  return {
    target: { node: t.target.node, metric: t.target.metric, statistic: t.target.agg ?? 'Average', ts: t.target.timestamp * 1000 },
    rootCause: t.root_cause.node,
  };
}

const issueOrder = (a: string, b: string) => Number(a.replace(/\D+/g, '')) - Number(b.replace(/\D+/g, '')) || a.localeCompare(b);

function loadIssues(dir: string): Issue[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => !d.startsWith('.') && statSync(path.join(dir, d)).isDirectory())
    .sort(issueOrder)
    .map((d) => ({
      id: d,
      ...parseTarget(readText(path.join(dir, d, 'target.json'))),
      metrics: parseMetricsCsv(readText(path.join(dir, d, 'metrics.csv'))),
    }));
}

/** Every traffic split under `root` (a folder holding graph.csv), in name order; those lacking a file are skipped. */
export function loadSplits(root: string): { splits: TrafficSplit[]; skipped: { name: string; reason: string }[] } {
  const splits: TrafficSplit[] = [];
  const skipped: { name: string; reason: string }[] = [];
  const names = readdirSync(root)
    .filter((d) => existsSync(path.join(root, d, 'graph.csv')) || existsSync(path.join(root, d, 'graph.csv.gz')))
    .sort();
  for (const name of names) {
    const dir = path.join(root, name);
    try {
      splits.push({
        name,
        graph: parseGraphCsv(readText(path.join(dir, 'graph.csv'))),
        normal: parseMetricsCsv(readText(path.join(dir, 'noissue', 'metrics.csv'))),
        train: loadIssues(path.join(dir, 'train')),
        test: loadIssues(path.join(dir, 'test')),
      });
    } catch (err) {
      skipped.push({ name, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return { splits, skipped };
}
