import type { ChatChannel } from '../chat/channel.js';
import * as msg from '../chat/messages.js';
import type { InvestigationResult } from '../investigation/types.js';
import { type Citation, type KnowledgeLookup, citationsFor, learnedIncident } from '../knowledge/citations.js';
import type { Incident } from '../model/incident.js';
import type { IncidentSession } from './types.js';
import { KbDocumentSchema } from '../knowledge/documents.js';
import type { IncidentStore } from '../storage/types.js';

/**
 * The knowledge base in the incident's life: cited in the thread once the causes are ranked, and taught what the
 * incident turned out to be once it is resolved. A knowledge base that cannot be opened or searched costs the
 * citations, never the diagnosis.
 */
export async function citeInThread(
  knowledge: (() => Promise<KnowledgeLookup | null>) | undefined,
  channel: ChatChannel,
  store: LearnedStore,
  incident: Incident,
  result: InvestigationResult,
): Promise<Citation[]> {
  const kb = await knowledge?.().catch(() => null);
  if (!kb) return [];
  await syncLearned(kb, store).catch(() => undefined);
  const citations = await citationsFor(kb, incident, result).catch(() => []);
  if (citations.length > 0) await channel.post(incident.thread, msg.knowledgeMessage(citations));
  return citations;
}

/**
 * Writes a resolved incident into the knowledge base (symptoms, root cause, fix, outcome) so that the next similar one
 * cites it. `statedCause` is a person's account of the cause, which replaces the bot's. True when it was written.
 */
export async function learnFrom(
  knowledge: (() => Promise<KnowledgeLookup | null>) | undefined,
  store: LearnedStore,
  session: IncidentSession,
  statedCause?: { text: string; by: string },
): Promise<boolean> {
  const kb = await knowledge?.().catch(() => null);
  if (!kb) return false;
  const doc = learnedIncident({
    incident: session.incident,
    result: session.result,
    plan: session.result.plan,
    execution: session.execution,
    verification: session.verification,
    ...(statedCause ? { statedCause } : {}),
  });
  // the shared store first: another process (a worker, serve after a restart) syncs it into its own knowledge base
  await store.put(session.incident.id, 'learned', doc);
  return kb.upsertDocument(doc).then(
    () => true,
    () => false,
  );
}

type LearnedStore = Pick<IncidentStore, 'put' | 'get' | 'listIncidents'>;

/** How many of the newest incidents are checked for knowledge another process learned, before each citation. */
const SYNC_RECENT = 50;

/**
 * Brings into this process's knowledge base what other processes learned (kept in the shared store): the newest
 * incidents' learned records, each written only when it changed (an unchanged one costs a hash, no embedding).
 */
async function syncLearned(kb: KnowledgeLookup, store: LearnedStore): Promise<void> {
  for (const id of (await store.listIncidents()).slice(0, SYNC_RECENT)) {
    const learned = KbDocumentSchema.safeParse(await store.get(id, 'learned'));
    if (learned.success) await kb.upsertDocument(learned.data);
  }
}
