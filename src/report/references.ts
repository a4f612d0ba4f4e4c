import path from 'node:path';
import { codeSpan, escapeMarkdown, safeUrl, truncate } from './escape.js';

/**
 * Links from the report to files beside it (charts) and to what it cites (runbooks, past incidents). The report lives
 * in <home>/reports/<incident>/, so every file link is relative to that folder and resolves where the report is read.
 */

export interface KnowledgeRef {
  title: string;
  /** URL, or file path of a runbook or past incident: absolute, or relative to the report's folder */
  ref: string;
  excerpt: string;
  /** the runbook's id (front matter), so the plan's runbook id finds its file */
  id?: string;
}

/** Chart path relative to the report folder, with forward slashes. */
export function chartHref(chartPath: string, baseDir: string | undefined): string {
  let p = chartPath;
  if (baseDir && path.isAbsolute(chartPath)) p = path.relative(baseDir, chartPath);
  else if (path.isAbsolute(chartPath)) p = path.basename(chartPath);
  return p.split(path.sep).join('/');
}

/** A reference's link target: URLs as they are, absolute file paths relative to the report folder. */
export function knowledgeHref(ref: string, baseDir: string | undefined): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref) && !/^[a-z]:[\\/]/i.test(ref)) return ref;
  if (!path.isAbsolute(ref)) return ref.split(path.sep).join('/');
  return (baseDir ? path.relative(baseDir, ref) : ref).split(path.sep).join('/');
}

/**
 * The References section. The plan names its runbook by id (or URL): the line links to that runbook's file when it
 * is among the consulted ones, and never to the bare id, which resolves to nothing beside the report.
 */
export function referenceLines(knowledge: KnowledgeRef[], planRunbook: string | undefined, baseDir: string | undefined): string[] {
  const out: string[] = [];
  const refs = [...knowledge];
  if (planRunbook) {
    const own = refs.findIndex((r) => r.id === planRunbook || r.ref === planRunbook || (r.id === undefined && fileStem(r.ref) === planRunbook));
    if (own >= 0) {
      const [r] = refs.splice(own, 1);
      refs.unshift({ ...r!, title: `Runbook for the remediation: ${r!.title || planRunbook}` });
    } else if (/^https?:\/\//i.test(planRunbook)) {
      refs.unshift({ title: 'Runbook for the remediation', ref: planRunbook, excerpt: '' });
    } else {
      out.push(`- Runbook for the remediation: ${codeSpan(planRunbook)} (no runbook with this id was loaded)`);
    }
  }
  for (const r of refs) {
    const url = safeUrl(knowledgeHref(r.ref, baseDir));
    const title = escapeMarkdown(r.title || r.ref);
    const head = url ? `[${title}](${url})` : `${title} (${codeSpan(r.ref)})`;
    out.push(`- ${head}${r.excerpt.trim() ? ` — ${escapeMarkdown(truncate(r.excerpt.trim(), 240))}` : ''}`);
  }
  return out.length ? out : ['No runbooks or past incidents were consulted.'];
}

/** A runbook file's name without `.md`: the bundled runbooks are named after their ids. */
function fileStem(ref: string): string {
  return path.basename(ref).replace(/\.md$/i, '');
}
