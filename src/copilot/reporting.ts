import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Connectors } from '../connectors/types.js';
import type { Runbook } from '../knowledge/runbooks.js';
import { runbooksFor } from '../knowledge/runbooks.js';
import type { Chart, Report } from '../model/report.js';
import { renderSeriesChart } from '../report/charts.js';
import { type DataSourcesNote, writeReport } from '../report/markdown.js';
import type { IncidentSession } from './types.js';
import type { Citation } from '../knowledge/citations.js';
import type { KnowledgeRef } from '../report/references.js';

const MAX_CHARTS = 3;

/** Picks the series that tell the story (the cause's own signal, the alerted symptom, the business impact). */
function chartSeries(session: Omit<IncidentSession, 'report'>): { entity: string; metric: string; title: string }[] {
  const { result, incident } = session;
  const top = result.ranked[0];
  const picks: { entity: string; metric: string; title: string }[] = [];
  const add = (entity: string, metric: string, title: string) => {
    if (!picks.some((p) => p.entity === entity && p.metric === metric)) picks.push({ entity, metric, title });
  };
  if (top) {
    const own = result.findings
      .filter((f) => f.series && (f.component === top.component || top.findingIds.includes(f.id)))
      .sort((a, b) => b.score - a.score)[0];
    if (own?.series) add(own.series.entity, own.series.metric, `Root cause: ${own.series.entity} ${own.series.metric}`);
  }
  // The plan's verification metrics exist by construction and show the fix working.
  for (const v of result.plan?.verification ?? []) add(v.entity, v.metric, `${v.entity} ${v.metric}`);
  for (const s of incident.services) {
    const f = result.findings.filter((x) => x.series?.entity === s).sort((a, b) => b.score - a.score)[0];
    if (f?.series) add(f.series.entity, f.series.metric, `Alerted: ${f.series.entity} ${f.series.metric}`);
  }
  const kpi = result.findings.filter((f) => f.expert === 'kpi' && f.series).sort((a, b) => b.score - a.score)[0];
  if (kpi?.series) add(kpi.series.entity, kpi.series.metric, `Business impact: ${kpi.series.metric}`);
  return picks.slice(0, MAX_CHARTS);
}

export async function writeIncidentReport(input: {
  session: Omit<IncidentSession, 'report'>;
  connectors: Connectors;
  runbooks: Runbook[];
  dir: string;
  author: string;
  now: number;
  dataSources?: DataSourcesNote | null;
}): Promise<Report> {
  const { session, connectors, dir } = input;
  const { result, incident } = session;
  await mkdir(dir, { recursive: true });
  const top = result.ranked[0];
  const markers = [
    ...(top ? [{ ts: top.onsetMs, label: 'onset' }] : []),
    { ts: incident.window.toMs, label: 'alert' },
    ...(session.fixedAtMs ? [{ ts: session.fixedAtMs, label: 'fix' }] : []),
  ];
  const charts: Chart[] = [];
  for (const [i, pick] of chartSeries(session).entries()) {
    const series = await connectors.metrics.query({ entity: pick.entity, metric: pick.metric, fromMs: result.baseline.fromMs, toMs: input.now + 60_000 });
    if (series.length === 0 || series[0]!.points.length === 0) continue;
    const file = path.join(dir, `chart-${i + 1}-${pick.entity}-${pick.metric}.png`.replace(/[^a-zA-Z0-9._-]/g, '_'));
    await renderSeriesChart({ title: pick.title, series, markers, band: { from: result.window.fromMs, to: incident.window.toMs } }, file);
    charts.push({ title: pick.title, path: file, entity: pick.entity, metric: pick.metric });
  }
  const cmdbRunbook = top ? result.cmdb.services.find((s) => s.name === top.component)?.runbook : undefined;
  const runbooks = top
    ? runbooksFor(input.runbooks, top.kind, cmdbRunbook, top.component).slice(0, 2).map((r) => ({ title: r.title, ref: path.relative(dir, r.path), excerpt: r.body.split('\n')[0] ?? '' }))
    : [];
  const knowledge = [...runbooks, ...citedRefs(session.citations ?? [], dir).filter((c) => !runbooks.some((r) => r.ref === c.ref))];
  return writeReport(dir, {
    incident,
    findings: result.findings,
    hypotheses: result.ranked,
    reflection: result.reflection,
    ...(result.plan ? { plan: result.plan } : {}),
    ...(session.execution ? { execution: session.execution } : {}),
    ...(session.verification ? { verification: session.verification } : {}),
    charts,
    author: input.author,
    generatedAt: input.now,
    knowledge,
    ...(input.dataSources ? { dataSources: input.dataSources } : {}),
    ...(session.explanation ? { explanation: session.explanation } : {}),
  });
}

/**
 * What the knowledge base cited, as references: files relative to the report's folder, a past incident as its own
 * report beside this one (reports/<incident>/report.md).
 */
function citedRefs(citations: Citation[], dir: string): KnowledgeRef[] {
  return citations.map((c) => {
    const [file, record] = c.source.split('#');
    const ref = c.kind === 'incident' ? `../${c.source}/report.md` : path.isAbsolute(file!) ? `${path.relative(dir, file!)}${record ? `#${record}` : ''}` : c.source;
    const excerpt = [c.why, ...(c.fixed ? [`fixed by: ${c.fixed}`] : [])].join('; ');
    return { title: `${c.kind}: ${c.title}`, ref, excerpt };
  });
}
