import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * What the knowledge base stores: a runbook, a resolved incident (written by the learning loop) or a postmortem.
 * `source` is the stable key: the file path of an ingested file, `file#id` for one record of a JSON collection, or
 * an incident id.
 */
export const KbKindSchema = z.enum(['runbook', 'incident', 'postmortem']);
export type KbKind = z.infer<typeof KbKindSchema>;

export const KbDocumentSchema = z.object({
  source: z.string().min(1),
  kind: KbKindSchema,
  title: z.string().min(1),
  text: z.string(),
  service: z.string().min(1).optional(),
  tags: z.array(z.string().min(1)).default([]),
  /** front-matter fields the knowledge base does not interpret, kept as written */
  meta: z.record(z.string(), z.unknown()).optional(),
});
export type KbDocument = z.input<typeof KbDocumentSchema>;
export type ParsedKbDocument = z.output<typeof KbDocumentSchema>;

export function contentHash(doc: ParsedKbDocument): string {
  const canonical = JSON.stringify([doc.kind, doc.title, doc.text, doc.service ?? null, [...doc.tags].sort(), doc.meta ?? null]);
  return createHash('sha256').update(canonical).digest('hex');
}

const tagList = z
  .union([z.string(), z.array(z.union([z.string(), z.number()]))])
  .transform((v) => (Array.isArray(v) ? v.map(String) : v.split(',')).map((s) => s.trim()).filter(Boolean));

/** Any team's front matter: the few fields we use are typed, everything else passes through untouched. */
const FrontMatterSchema = z
  .object({
    title: z.string().optional(),
    kind: KbKindSchema.optional(),
    service: z.union([z.string(), z.array(z.string())]).optional(),
    tags: tagList.optional(),
    // the bundled runbooks name the fault kinds they treat; they are tags like any other
    faults: tagList.optional(),
  })
  .passthrough();

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/;

export function parseMarkdownDocument(source: string, markdown: string, defaultKind: KbKind): ParsedKbDocument {
  const match = FRONT_MATTER.exec(markdown);
  let body = markdown;
  let front: z.infer<typeof FrontMatterSchema> = {};
  if (match) {
    const parsed = FrontMatterSchema.safeParse(parseYaml(match[1]!) ?? {});
    if (!parsed.success) throw new Error(`${source}: front matter: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    front = parsed.data;
    body = match[2]!;
  }
  const { title, kind, service, tags, faults, ...rest } = front;
  const heading = /^#\s+(.+)$/m.exec(body)?.[1]?.trim();
  const services = service === undefined ? [] : Array.isArray(service) ? service : [service];
  const meta = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  return KbDocumentSchema.parse({
    source,
    kind: kind ?? defaultKind,
    title: title ?? heading ?? path.basename(source).replace(/\.[^.]+$/, ''),
    text: body.trim(),
    ...(services[0] ? { service: services[0] } : {}),
    tags: unique([...(tags ?? []), ...(faults ?? []), ...services.slice(1)]),
    ...(Object.keys(meta).length > 0 ? { meta } : {}),
  });
}

/**
 * One record of the postmortem corpus (../shared/datasets/postmortems: title, summary, details, root cause, mitigation
 * with numbered troubleshooting steps). The annotators' category labels are kept in `meta` only, never in the text:
 * retrieval must find similar incidents from what was written, and the benchmark scores against those labels.
 */
const PostmortemSchema = z
  .object({
    title: z.string().min(1),
    time: z.string().nullish(),
    summary: z.string().default(''),
    details: z.string().nullish(),
    service_name: z.array(z.string()).nullish().catch(undefined),
    'service name': z.array(z.string()).nullish().catch(undefined),
    'impact symptom': z.array(z.string()).nullish().catch(undefined),
    // hand-labelled: some records lack a label list, have null details or non-text steps; take what is there
    'root cause': z
      .object({
        label: z.array(z.record(z.string(), z.string().nullable())).catch([]),
        details: z.string().nullish().catch(undefined),
      })
      .catch({ label: [] })
      .optional(),
    mitigation: z
      .object({
        details: z.string().nullish().catch(undefined),
        troubleshooting: z.record(z.string(), z.unknown()).nullish().catch(undefined),
      })
      .catch({})
      .optional(),
  })
  .passthrough();

export function isPostmortemRecord(value: unknown): boolean {
  return PostmortemSchema.safeParse(value).success && typeof (value as { summary?: unknown }).summary === 'string';
}

export function postmortemDocument(source: string, raw: unknown): ParsedKbDocument {
  const r = PostmortemSchema.parse(raw);
  const services = (r.service_name ?? r['service name'] ?? []).map((s) => s.trim()).filter(Boolean);
  const steps = Object.entries(r.mitigation?.troubleshooting ?? {})
    .sort(([a], [b]) => Number(a) - Number(b))
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .map(([, s], i) => `${i + 1}. ${s.trim()}`)
    .filter((s) => s.length > 3);
  const sections = [
    ['Summary', r.summary],
    ['Details', r.details && r.details.trim() !== r.summary.trim() ? r.details : ''],
    ['Root cause', r['root cause']?.details ?? ''],
    ['Mitigation', [r.mitigation?.details ?? '', steps.join('\n')].filter((s) => s.trim()).join('\n\n')],
  ].filter(([, t]) => t!.trim());
  const labels = (r['root cause']?.label ?? []).map((l) => [l['layer-1'], l['layer-2'], l['layer-3']].filter(Boolean).join('/'));
  return KbDocumentSchema.parse({
    source,
    kind: 'postmortem',
    title: r.title.trim(),
    text: sections.map(([h, t]) => `## ${h}\n\n${t!.trim()}`).join('\n\n'),
    ...(services[0] ? { service: services[0] } : {}),
    tags: unique(['postmortem', ...(r['impact symptom'] ?? [])]),
    meta: { ...(r.time ? { time: r.time } : {}), rootCause: labels, summary: r.summary.trim() },
  });
}

/** A JSON file: one postmortem, an array of them, an object of them by id, or KbDocument(s). */
export function parseJsonDocuments(source: string, json: unknown): ParsedKbDocument[] {
  if (Array.isArray(json)) return json.flatMap((item, i) => parseJsonDocuments(`${source}#${i}`, item));
  if (KbDocumentSchema.safeParse(json).success) return [KbDocumentSchema.parse(json)];
  if (isPostmortemRecord(json)) return [postmortemDocument(source, json)];
  if (json && typeof json === 'object') {
    const entries = Object.entries(json as Record<string, unknown>).filter(([, v]) => isPostmortemRecord(v));
    if (entries.length > 0) return entries.map(([id, v]) => postmortemDocument(`${source}#${id}`, v));
  }
  throw new Error(`${source}: neither a postmortem record, a collection of them, nor a knowledge-base document`);
}

const DOC_EXTENSIONS = new Set(['.md', '.markdown', '.json']);

/** The files under a path the knowledge base can read, sorted; hidden folders and node_modules are skipped. */
export async function listDocumentFiles(fileOrDir: string): Promise<string[]> {
  const info = await stat(fileOrDir);
  if (info.isFile()) return [fileOrDir];
  const out: string[] = [];
  for (const entry of (await readdir(fileOrDir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = path.join(fileOrDir, entry.name);
    if (entry.isDirectory()) out.push(...(await listDocumentFiles(full)));
    else if (entry.isFile() && DOC_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) out.push(full);
  }
  return out;
}

/** A Markdown file without `kind` in its front matter is a postmortem when a folder on its path says so. */
export function defaultKindFor(file: string): KbKind {
  return /(^|[/\\])(postmortems?|post-mortems?|incidents?)([/\\]|$)/i.test(path.dirname(file)) ? 'postmortem' : 'runbook';
}

export async function readDocumentFile(file: string, kind?: KbKind): Promise<ParsedKbDocument[]> {
  const text = await readFile(file, 'utf8');
  if (path.extname(file).toLowerCase() === '.json') return parseJsonDocuments(file, JSON.parse(text));
  return [parseMarkdownDocument(file, text, kind ?? defaultKindFor(file))];
}

function unique(xs: string[]): string[] {
  return [...new Set(xs.map((x) => x.trim()).filter(Boolean))];
}
