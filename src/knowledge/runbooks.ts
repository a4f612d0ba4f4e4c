import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { FaultKindSchema, type FaultKind } from '../model/evidence.js';

/** Bundled runbooks (knowledge/runbooks/*.md with YAML front matter), cited by the report and the plan. */
export const DEFAULT_RUNBOOK_DIR = fileURLToPath(new URL('../../knowledge/runbooks', import.meta.url));

const FrontMatterSchema = z.object({ id: z.string(), title: z.string(), faults: z.array(FaultKindSchema) });

export interface Runbook {
  id: string;
  title: string;
  faults: FaultKind[];
  path: string;
  body: string;
}

export async function loadRunbooks(dir = DEFAULT_RUNBOOK_DIR): Promise<Runbook[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.md')).sort();
  return Promise.all(
    files.map(async (file) => {
      const text = await readFile(path.join(dir, file), 'utf8');
      const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
      if (!match) throw new Error(`runbook ${file} has no front matter`);
      const meta = FrontMatterSchema.parse(parseYaml(match[1]!));
      return { ...meta, path: path.join(dir, file), body: match[2]!.trim() };
    }),
  );
}

/** Runbooks for a fault kind; a component's own runbook id (from the CMDB) comes first when it exists. */
export function runbooksFor(all: Runbook[], kind: FaultKind, componentRunbook?: string): Runbook[] {
  const own = all.filter((r) => r.id === componentRunbook);
  return [...own, ...all.filter((r) => r.faults.includes(kind) && r.id !== componentRunbook)];
}
