import { z } from 'zod';
import type { InvestigationResult } from '../investigation/types.js';
import type { Incident } from '../model/incident.js';
import type { Execution, RemediationPlan, Verification } from '../model/remediation.js';
import { redact } from '../redaction/redact.js';
import { faultLabel } from '../report/labels.js';
import { KbKindSchema, type KbDocument } from './documents.js';
import type { KbHit, SearchOptions } from './kb.js';

/**
 * The knowledge base at work in an investigation: what it cites for the top hypotheses (runbooks, similar past
 * incidents, postmortems, each with why it matched), and what a resolved incident teaches it (the learning loop).
 */
export const CitationSchema = z.object({
  kind: KbKindSchema,
  source: z.string(),
  title: z.string(),
  /** why it matched: same fault kind, same service, similar symptoms */
  why: z.string(),
  snippet: z.string(),
  /** a past incident's fix and outcome, when the knowledge base learned one ("what fixed this last time") */
  fixed: z.string().optional(),
});
export type Citation = z.infer<typeof CitationSchema>;

/** What an investigation needs of the knowledge base. */
export interface KnowledgeLookup {
  search(query: string, opts?: SearchOptions): Promise<KbHit[]>;
  document(source: string): { meta?: Record<string, unknown> } | undefined;
  upsertDocument(doc: KbDocument): Promise<unknown>;
}

/** What the learning loop records beside a learned incident's text, read back as "what fixed this last time". */
const LearnedMetaSchema = z.object({ fix: z.string(), outcome: z.string() });

const SIMILAR = 'similar symptoms';

/** How many of each kind an investigation cites. */
const PER_KIND: Record<Citation['kind'], number> = { runbook: 2, incident: 2, postmortem: 1 };

/** Citations for the investigation's top hypotheses; none when nothing was ranked. */
export async function citationsFor(kb: KnowledgeLookup, incident: Incident, result: InvestigationResult): Promise<Citation[]> {
  const top = result.ranked[0];
  if (!top) return [];
  // the cause as a person would search for it, then the symptoms the alert and the experts saw
  const query = [`${faultLabel(top.kind)} on ${top.component}`, incident.title, ...top.evidence.slice(0, 3)].join('. ');
  const out: Citation[] = [];
  for (const kind of ['runbook', 'incident', 'postmortem'] as const) {
    const hits = await kb.search(query, { k: PER_KIND[kind], kinds: [kind], service: top.component, tags: [top.kind], exclude: [incident.id] });
    const cited = hits.map((hit) => citationOf(hit, top.component, top.kind, LearnedMetaSchema.safeParse(kb.document(hit.source)?.meta).data));
    // a runbook is cited for the fault it covers; beyond the best match, one that merely reads alike is noise
    out.push(...(kind === 'runbook' ? cited.filter((c, i) => i === 0 || c.why !== SIMILAR) : cited));
  }
  return out;
}

function citationOf(hit: KbHit, component: string, kind: string, learned: z.infer<typeof LearnedMetaSchema> | undefined): Citation {
  const reasons = [
    ...(hit.tags.includes(kind) ? [`same fault kind (${kind})`] : []),
    ...(hit.service === component ? [`same service (${component})`] : []),
  ];
  const fixed = hit.kind === 'incident' && learned ? `${learned.fix} — ${learned.outcome}` : undefined;
  return {
    kind: hit.kind,
    source: hit.source,
    title: hit.title,
    why: reasons.length > 0 ? reasons.join(', ') : SIMILAR,
    snippet: hit.snippet,
    ...(fixed ? { fixed } : {}),
  };
}

/**
 * What a resolved incident teaches: its symptoms, root cause, fix and outcome, as a document the next similar incident
 * finds. `statedCause` is a person's word ("root cause was …"), which outranks the bot's ranking. Redacted: the
 * knowledge base is searched and quoted in chat.
 */
export function learnedIncident(input: {
  incident: Incident;
  result: InvestigationResult;
  plan?: RemediationPlan | null;
  execution?: Execution | null;
  verification?: Verification | null;
  statedCause?: { text: string; by: string };
}): KbDocument {
  const { incident, result } = input;
  const top = result.ranked[0];
  const cause = input.statedCause
    ? `${input.statedCause.text} (stated by ${input.statedCause.by})`
    : top
      ? `${faultLabel(top.kind)} on ${top.component} (the bot's diagnosis, confidence ${Math.round(top.confidence * 100)} %)`
      : 'not determined';
  const fix = input.execution
    ? `${input.plan?.title ?? 'the proposed plan'}: ${input.execution.status} (run by ${input.execution.actor})`
    : input.plan
      ? `${input.plan.title} was proposed; it was not run by the bot`
      : 'no fix was run by the bot';
  const outcome = input.verification ? (input.verification.recovered ? 'recovered: the metrics went back to baseline' : 'not recovered after the fix') : 'unknown';
  const symptoms = [incident.title, ...(top?.evidence ?? []).slice(0, 5)];
  const text = [
    `# ${incident.title}`,
    '',
    '## Symptoms',
    ...symptoms.map((s) => `- ${s}`),
    '',
    '## Root cause',
    cause,
    '',
    '## Fix',
    fix,
    '',
    '## Outcome',
    outcome,
  ].join('\n');
  return {
    source: incident.id,
    kind: 'incident',
    title: redact(`${incident.id}: ${incident.title}`),
    text: redact(text),
    ...(top ? { service: top.component } : incident.services[0] ? { service: incident.services[0] } : {}),
    tags: top && !input.statedCause ? [top.kind] : [],
    meta: { fix: redact(fix), outcome },
  };
}
