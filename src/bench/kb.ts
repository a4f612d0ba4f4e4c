import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { openKnowledgeBase, type KnowledgeBase, type SearchMode } from '../knowledge/kb.js';
import { renderTable } from './table.js';
import type { BenchSuite } from './types.js';

/**
 * bench kb: retrieval quality of the knowledge base, with one configuration for every data set.
 * (1) The postmortem corpus (datasets/postmortems/anomaly_collection, 356 public cloud incident reports), leave one
 *     out: each incident's summary is the query, the incident itself is excluded, and a retrieved incident is
 *     relevant when it shares the root-cause category the annotators gave (layer-1/layer-2, and layer-3 where both
 *     name one). Incidents whose cause is unknown are not queries. The chance line is the share of other incidents
 *     that are relevant, i.e. the expected precision of a random ranking.
 * (2) Paraphrased questions about the bundled runbooks (fixtures/kb-runbook-questions.json): is the right runbook first,
 *     in the top 5?
 */
const MODES: SearchMode[] = ['lexical', 'vector', 'hybrid'];

const QuestionsSchema = z.object({ questions: z.array(z.object({ q: z.string().min(1), runbook: z.string().min(1) })).min(1) });

export const kbSuite: BenchSuite = {
  name: 'kb',
  description: 'knowledge-base retrieval: postmortem leave-one-out by root-cause category (P@1, P@5, MRR) and runbooks from paraphrased questions, lexical vs vector vs hybrid',
  async run({ config, data, progress }) {
    const corpus = path.join(data ?? config.datasetsDir, 'postmortems', 'anomaly_collection');
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'sre-copilot-bench-kb-'));
    const cacheDir = config.cacheDir;
    try {
      const pmKb = await openKnowledgeBase(config, { dbFile: path.join(scratch, 'postmortems.db'), bundledRunbooks: false, cacheDir, progress });
      const ingestStart = performance.now();
      await pmKb.ingestPath(corpus, { progress });
      const ingestSeconds = (performance.now() - ingestStart) / 1000;
      const postmortems = await leaveOneOut(pmKb, progress);
      await pmKb.close();

      const rbKb = await openKnowledgeBase(config, { dbFile: path.join(scratch, 'runbooks.db'), cacheDir, progress });
      const runbooks = await runbookQuestions(rbKb, progress);
      await rbKb.close();

      const pmTable = renderTable(
        ['mode', 'P@1', 'P@5', 'MRR', 'queries/s'],
        [...MODES.map((m) => [m, postmortems.byMode[m].p1, postmortems.byMode[m].p5, postmortems.byMode[m].mrr, postmortems.byMode[m].qps] as (string | number)[]), ['chance', postmortems.chance, postmortems.chance, '', '']],
      );
      const rbTable = renderTable(['mode', 'top-1', 'top-5'], MODES.map((m) => [m, runbooks.byMode[m].top1, runbooks.byMode[m].top5]));
      const misses = runbooks.misses.length ? `\nhybrid misses (not first): ${runbooks.misses.map((m) => `"${m.q}" → ${m.got}`).join('; ')}` : '';
      const text =
        `Postmortem corpus, leave-one-out: ${postmortems.queries} queries (incidents with a known root cause) over ${postmortems.documents} incidents; ingest ${ingestSeconds.toFixed(1)} s\n\n${pmTable}\n\n` +
        `Runbooks from ${runbooks.questions} paraphrased questions (${runbooks.documents} bundled runbooks)\n\n${rbTable}${misses}`;
      const metrics = (m: SearchMode) => ({ p1: postmortems.byMode[m].p1, p5: postmortems.byMode[m].p5, mrr: postmortems.byMode[m].mrr });
      return {
        suite: 'kb',
        text,
        json: {
          summary: { hybridP1: postmortems.byMode.hybrid.p1, runbookTop1: runbooks.byMode.hybrid.top1, runbookTop5: runbooks.byMode.hybrid.top5, qps: postmortems.byMode.hybrid.qps },
          lexical: metrics('lexical'),
          vector: metrics('vector'),
          hybrid: metrics('hybrid'),
          qps: postmortems.byMode.hybrid.qps,
          chance: postmortems.chance,
          queries: postmortems.queries,
          ingestSeconds: round(ingestSeconds),
          runbooks: { questions: runbooks.questions, lexical: runbooks.byMode.lexical, vector: runbooks.byMode.vector, hybrid: runbooks.byMode.hybrid },
        },
      };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  },
};

async function leaveOneOut(kb: KnowledgeBase, progress: (line: string) => void) {
  const docs = kb.list().filter((d) => d.kind === 'postmortem');
  const labels = new Map(docs.map((d) => [d.source, categories(kb.document(d.source)?.meta?.rootCause)]));
  const queries = docs.filter((d) => labels.get(d.source)!.length > 0).map((d) => ({ source: d.source, text: String(kb.document(d.source)?.meta?.summary ?? '') })).filter((q) => q.text.trim());
  const relevant = (a: string, b: string) => sharesCategory(labels.get(a)!, labels.get(b)!);
  const chance = mean(queries.map((q) => docs.filter((d) => d.source !== q.source && relevant(q.source, d.source)).length / (docs.length - 1)));
  const byMode = {} as Record<SearchMode, { p1: number; p5: number; mrr: number; qps: number }>;
  for (const mode of MODES) {
    let p1 = 0;
    let p5 = 0;
    let mrr = 0;
    const started = performance.now();
    for (const [i, q] of queries.entries()) {
      if (i % 50 === 0) progress(`kb: ${mode} ${i}/${queries.length}`);
      const hits = await kb.search(q.text, { k: 20, mode, exclude: [q.source] });
      const rel = hits.map((h) => relevant(q.source, h.source));
      p1 += rel[0] ? 1 : 0;
      p5 += rel.slice(0, 5).filter(Boolean).length / 5;
      const first = rel.indexOf(true);
      mrr += first >= 0 ? 1 / (first + 1) : 0;
    }
    const seconds = (performance.now() - started) / 1000;
    const n = queries.length;
    byMode[mode] = { p1: round(p1 / n), p5: round(p5 / n), mrr: round(mrr / n), qps: Math.round(n / seconds) };
  }
  return { byMode, chance: round(chance), queries: queries.length, documents: docs.length };
}

async function runbookQuestions(kb: KnowledgeBase, progress: (line: string) => void) {
  const file = new URL('./fixtures/kb-runbook-questions.json', import.meta.url);
  const { questions } = QuestionsSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  const idOf = (source: string) => path.basename(source).replace(/\.md$/, '');
  const byMode = {} as Record<SearchMode, { top1: number; top5: number }>;
  const misses: { q: string; got: string }[] = [];
  for (const mode of MODES) {
    progress(`kb: runbook questions, ${mode}`);
    let top1 = 0;
    let top5 = 0;
    for (const { q, runbook } of questions) {
      const ids = (await kb.search(q, { k: 5, mode, kinds: ['runbook'] })).map((h) => idOf(h.source));
      if (ids[0] === runbook) top1++;
      else if (mode === 'hybrid') misses.push({ q, got: ids[0] ?? 'nothing' });
      if (ids.includes(runbook)) top5++;
    }
    byMode[mode] = { top1: round(top1 / questions.length), top5: round(top5 / questions.length) };
  }
  return { byMode, misses, questions: questions.length, documents: kb.list().filter((d) => d.kind === 'runbook').length };
}

/** "layer-1/layer-2[/layer-3]" labels, spelling variants of the annotators folded together; unknown causes dropped. */
function categories(raw: unknown): string[][] {
  const fold: Record<string, string> = { 'softwares bugs': 'software bugs', 'software failures': 'software bugs', 'cooling systems': 'cooling system' };
  return z
    .array(z.string())
    .catch([])
    .parse(raw)
    .map((l) => l.toLowerCase().split('/').map((p) => fold[p.trim()] ?? p.trim()))
    .filter((parts) => parts[0] !== 'unknown' && parts.length >= 2);
}

function sharesCategory(a: string[][], b: string[][]): boolean {
  return a.some((x) => b.some((y) => x[0] === y[0] && x[1] === y[1] && (x[2] === undefined || y[2] === undefined || x[2] === y[2])));
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
const round = (x: number) => Math.round(x * 1000) / 1000;
