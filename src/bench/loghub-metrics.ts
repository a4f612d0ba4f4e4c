/**
 * Log-parsing accuracy as defined by Loghub-2.0 (Jiang et al., "A Large-scale Evaluation for Log Parsing
 * Techniques: How Far are We?", ISSTA 2024), written from the definitions:
 * - groups are the sets of lines sharing a template string (ground truth: EventTemplate; parsed: the parser's
 *   template string);
 * - a ground-truth group is correctly grouped when all its lines carry one parsed template and that parsed
 *   template covers no other line;
 * - GA: share of lines in correctly grouped groups; FGA: F1 of (correct groups / parsed groups,
 *   correct groups / ground-truth groups);
 * - PA: share of lines whose parsed template string equals the ground truth's;
 * - FTA: F1 of template accuracy, where a ground-truth template counts when its group is correct and the parsed
 *   template string equals it (precision over parsed templates, recall over ground-truth templates).
 * Template strings are compared after {@link normalizeTemplate}.
 */

/** Whitespace runs → one space, trimmed, and adjacent `<*><*>` runs → `<*>` (applied to both sides). */
export function normalizeTemplate(t: string): string {
  let s = t.trim().replace(/\s+/g, ' ');
  while (s.includes('<*><*>')) s = s.replaceAll('<*><*>', '<*>');
  return s;
}

export interface ParsingScores {
  lines: number;
  GA: number;
  FGA: number;
  PA: number;
  FTA: number;
  truthTemplates: number;
  parsedTemplates: number;
}

const f1 = (p: number, r: number): number => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/** Scores parsed templates against ground-truth templates, line by line (same order, same length). */
export function scoreParsing(truth: string[], parsed: string[]): ParsingScores {
  if (truth.length !== parsed.length) throw new Error(`truth has ${truth.length} lines, parsed ${parsed.length}`);
  const n = truth.length;
  const gt = truth.map(normalizeTemplate);
  const pr = parsed.map(normalizeTemplate);
  const parsedSize = new Map<string, number>();
  for (const p of pr) parsedSize.set(p, (parsedSize.get(p) ?? 0) + 1);
  const groups = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const g = groups.get(gt[i]!);
    if (g) g.push(i);
    else groups.set(gt[i]!, [i]);
  }
  let pa = 0;
  for (let i = 0; i < n; i++) if (gt[i] === pr[i]) pa++;
  let goodLines = 0;
  let goodGroups = 0;
  let goodTemplates = 0;
  for (const [template, lines] of groups) {
    const p = pr[lines[0]!]!;
    if (!lines.every((i) => pr[i] === p) || parsedSize.get(p) !== lines.length) continue;
    goodLines += lines.length;
    goodGroups++;
    if (p === template) goodTemplates++;
  }
  const nt = groups.size;
  const np = parsedSize.size;
  return {
    lines: n,
    GA: n ? goodLines / n : 0,
    FGA: f1(np ? goodGroups / np : 0, nt ? goodGroups / nt : 0),
    PA: n ? pa / n : 0,
    FTA: f1(np ? goodTemplates / np : 0, nt ? goodTemplates / nt : 0),
    truthTemplates: nt,
    parsedTemplates: np,
  };
}
