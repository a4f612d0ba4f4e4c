import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { FaultKindSchema, type FaultKind } from '../model/evidence.js';
import { ActionKindSchema, RiskSchema } from '../model/remediation.js';

/** Bundled runbooks (knowledge/runbooks/*.md with YAML front matter), cited by the report and the plan. */
export const DEFAULT_RUNBOOK_DIR = fileURLToPath(new URL('../../knowledge/runbooks', import.meta.url));

/**
 * A runbook's mitigation as typed steps, which the planner turns into plan steps on the diagnosed component. The
 * parameters here are reviewed text in the repository; the planner adds what only the CMDB knows (versions, change ids).
 */
export const RunbookStepSchema = z.object({
  action: ActionKindSchema,
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** raises the action's own risk level; a runbook can never lower it */
  risk: RiskSchema.optional(),
  /** metrics of the target that must recover after this step (default: the fault kind's key metric) */
  verify: z.array(z.string().min(1)).optional(),
  /** minutes they have to recover (default 10) */
  within: z.number().positive().max(240).optional(),
  /** wait `within` after this step and skip the rest of the runbook when its metrics recovered */
  stopIfRecovered: z.boolean().optional(),
});
export type RunbookStep = z.infer<typeof RunbookStepSchema>;

const FrontMatterSchema = z.object({
  id: z.string(),
  title: z.string(),
  faults: z.array(FaultKindSchema),
  remediation: z.array(RunbookStepSchema).optional(),
  /** the service it is written for: preferred over a generic runbook of the same fault on that service */
  service: z.string().min(1).optional(),
});

export interface Runbook {
  id: string;
  title: string;
  faults: FaultKind[];
  path: string;
  body: string;
  remediation?: RunbookStep[];
  service?: string;
}

export async function loadRunbooks(dir = DEFAULT_RUNBOOK_DIR): Promise<Runbook[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.md')).sort();
  return Promise.all(
    files.map(async (file) => {
      const text = await readFile(path.join(dir, file), 'utf8');
      const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
      if (!match) throw new Error(`runbook ${file} has no front matter`);
      const parsed = FrontMatterSchema.safeParse(parseYaml(match[1]!));
      if (!parsed.success) throw new Error(`runbook ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const meta = parsed.data;
      return { ...meta, path: path.join(dir, file), body: match[2]!.trim() };
    }),
  );
}

/**
 * Runbooks for a fault kind: a component's own runbook id (from the CMDB) first when it exists, then the runbooks
 * written for that component's service, then the generic ones (never one written for another service).
 */
export function runbooksFor(all: Runbook[], kind: FaultKind, componentRunbook?: string, component?: string): Runbook[] {
  const own = all.filter((r) => r.id === componentRunbook);
  const forKind = all.filter((r) => r.faults.includes(kind) && r.id !== componentRunbook);
  const forService = forKind.filter((r) => component !== undefined && r.service === component);
  // a runbook written for another service is not a generic one
  return [...own, ...forService, ...forKind.filter((r) => !forService.includes(r) && (component === undefined || r.service === undefined))];
}

const KbRunbookMetaSchema = z.object({ id: z.string().min(1), remediation: z.array(RunbookStepSchema).min(1) });

/**
 * A runbook from the knowledge base (`kb ingest`) that the planner can follow: one whose front matter names its id,
 * the fault kinds it treats and typed remediation steps, as the bundled ones do. Null for any other document.
 */
export function typedRunbookFrom(doc: { source: string; kind: string; title: string; text: string; service?: string; tags: string[]; meta?: Record<string, unknown> }): Runbook | null {
  if (doc.kind !== 'runbook') return null;
  const meta = KbRunbookMetaSchema.safeParse(doc.meta ?? {});
  const faults = doc.tags.flatMap((t) => {
    const kind = FaultKindSchema.safeParse(t);
    return kind.success ? [kind.data] : [];
  });
  if (!meta.success || faults.length === 0) return null;
  return { id: meta.data.id, title: doc.title, faults, path: doc.source, body: doc.text, remediation: meta.data.remediation, ...(doc.service ? { service: doc.service } : {}) };
}
