import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createClient, type Client } from '@libsql/client';
import MiniSearch from 'minisearch';
import type { Config } from '../config.js';
import { chunkId, chunkMarkdown, type Chunk } from './chunking.js';
import { contentHash, KbDocumentSchema, listDocumentFiles, readDocumentFile, type KbDocument, type KbKind, type ParsedKbDocument } from './documents.js';
import { EndpointEmbedder, OfflineEmbedder, type Embedder } from './embeddings.js';
import { bestPerSource, reciprocalRankFusion, snippetFor, type RankedChunk } from './ranking.js';
import { DEFAULT_RUNBOOK_DIR } from './runbooks.js';
import { processTerm, tokenize } from './text.js';
import { LibsqlVectorStore, UpstashVectorStore, type VectorStore } from './vector-store.js';

export type SearchMode = 'hybrid' | 'lexical' | 'vector';

export interface KbHit {
  source: string;
  kind: KbKind;
  title: string;
  score: number;
  snippet: string;
  chunkId: string;
  tags: string[];
  service?: string;
}

export interface SearchOptions {
  /** how many results (default 5) */
  k?: number;
  /** the incident's service: its documents rank higher */
  service?: string;
  /** fault kinds or other tags: documents carrying them rank higher */
  tags?: string[];
  mode?: SearchMode;
  /** only these kinds of document */
  kinds?: KbKind[];
  /** leave these sources out (e.g. the incident being investigated) */
  exclude?: string[];
  /** one hit per source, its best passage (default true) */
  perSource?: boolean;
}

export interface IngestResult {
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  /** files that could not be read, with why; the others are ingested */
  errors: { file: string; message: string }[];
}

export interface OpenOptions {
  /** default <home>/knowledge.db */
  dbFile?: string;
  embedder?: Embedder;
  vectorStore?: VectorStore;
  /** the folder ingested on first open (default the bundled knowledge/runbooks; false: none) */
  bundledRunbooks?: string | false;
  /** where the offline embedder keeps its word-vector cache (default config.cacheDir) */
  cacheDir?: string;
  progress?: (line: string) => void;
}

interface StoredDocument extends ParsedKbDocument {
  hash: string;
  chunkIds: string[];
}

/** Boost of a document whose service is the one asked about, and per matching tag. */
const SERVICE_BOOST = 0.5;
const TAG_BOOST = 0.25;
const EMBED_BATCH = 128;

export async function openKnowledgeBase(config: Config, opts: OpenOptions = {}): Promise<KnowledgeBase> {
  const dbFile = opts.dbFile ?? path.join(config.home, 'knowledge.db');
  await mkdir(path.dirname(dbFile), { recursive: true });
  const client = createClient({ url: `file:${dbFile}` });
  // serve and workers sharing a home open one file at once: wait for the other's write instead of failing at once
  await client.execute('PRAGMA busy_timeout = 10000');
  const embedder =
    opts.embedder ??
    (config.knowledge?.embeddings ? new EndpointEmbedder(config.knowledge.embeddings) : new OfflineEmbedder(opts.cacheDir ?? config.cacheDir));
  const store = opts.vectorStore ?? (config.knowledge?.upstash ? new UpstashVectorStore(config.knowledge.upstash) : await LibsqlVectorStore.open(client));
  const kb = new KnowledgeBase(client, embedder, store, opts.progress ?? (() => {}));
  await kb.load();
  const bundled = opts.bundledRunbooks ?? DEFAULT_RUNBOOK_DIR;
  if (bundled !== false && !(await kb.meta('bundled-runbooks'))) {
    await kb.ingestPath(bundled, { kind: 'runbook' });
    await kb.setMeta('bundled-runbooks', bundled);
  }
  return kb;
}

/**
 * Runbooks, past incidents and postmortems, chunked, with a BM25 index (minisearch, rebuilt from the stored chunks on
 * open) and chunk vectors in a VectorStore; search fuses both by reciprocal rank. Documents and chunks live in a
 * LibSQL file; a document is re-chunked and re-embedded only when its content hash changes.
 */
export class KnowledgeBase {
  private readonly docs = new Map<string, StoredDocument>();
  /**
   * The version of the file this instance holds in memory. Every write bumps it in the file, so a knowledge base
   * another process changed (`kb ingest` while serve runs, a worker that learned an incident) is read again before
   * the next search.
   */
  private generation = 0;
  private readonly chunks = new Map<string, Chunk>();
  private readonly lexical = new MiniSearch<{ id: string; title: string; heading: string; text: string; tags: string }>({
    fields: ['title', 'heading', 'text', 'tags'],
    tokenize,
    processTerm,
    searchOptions: { boost: { title: 2, heading: 1.5, tags: 1.5 } },
  });

  constructor(
    private readonly client: Client,
    private readonly embedder: Embedder,
    private readonly store: VectorStore,
    private readonly log: (line: string) => void,
  ) {}

  /** @internal creates the tables and reads every document and chunk; re-embeds when the model or store changed */
  async load(): Promise<void> {
    this.docs.clear();
    this.chunks.clear();
    this.lexical.removeAll();
    await this.client.batch(
      [
        'CREATE TABLE IF NOT EXISTS kb_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
        'CREATE TABLE IF NOT EXISTS kb_documents (source TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, service TEXT, tags TEXT NOT NULL, meta TEXT, text TEXT NOT NULL, hash TEXT NOT NULL, updated_at TEXT NOT NULL)',
        'CREATE TABLE IF NOT EXISTS kb_chunks (id TEXT PRIMARY KEY, source TEXT NOT NULL, ordinal INTEGER NOT NULL, heading TEXT NOT NULL, text TEXT NOT NULL)',
        'CREATE INDEX IF NOT EXISTS kb_chunks_source ON kb_chunks(source)',
      ],
      'write',
    );
    for (const r of (await this.client.execute('SELECT source, kind, title, service, tags, meta, text, hash FROM kb_documents')).rows) {
      const doc = KbDocumentSchema.parse({
        source: r.source,
        kind: r.kind,
        title: r.title,
        text: r.text,
        ...(r.service ? { service: r.service } : {}),
        tags: JSON.parse(String(r.tags)),
        ...(r.meta ? { meta: JSON.parse(String(r.meta)) } : {}),
      });
      this.docs.set(doc.source, { ...doc, hash: String(r.hash), chunkIds: [] });
    }
    for (const r of (await this.client.execute('SELECT id, source, ordinal, heading, text FROM kb_chunks ORDER BY source, ordinal')).rows) {
      const chunk: Chunk = { id: String(r.id), source: String(r.source), ordinal: Number(r.ordinal), headingPath: JSON.parse(String(r.heading)), text: String(r.text) };
      const doc = this.docs.get(chunk.source);
      if (!doc) continue;
      doc.chunkIds.push(chunk.id);
      this.chunks.set(chunk.id, chunk);
    }
    this.lexical.addAll([...this.chunks.values()].map((c) => this.lexicalEntry(c)));
    const vectorsOf = `${this.embedder.id}|${this.store.id}`;
    if ((await this.meta('vectors')) !== vectorsOf && this.chunks.size > 0) {
      this.log(`kb: re-embedding ${this.chunks.size} chunks for ${vectorsOf}`);
      await this.store.clear();
      await this.embedAndStore([...this.chunks.values()]);
    }
    await this.setMeta('vectors', vectorsOf);
    this.generation = await this.storedGeneration();
  }

  private async storedGeneration(): Promise<number> {
    return Number((await this.meta('generation')) ?? 0);
  }

  /** Records a write of this instance's; one by another process in between leaves this instance to read again. */
  private async bumpGeneration(): Promise<void> {
    const before = await this.storedGeneration();
    await this.client.execute("INSERT INTO kb_meta (key, value) VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1");
    const after = await this.storedGeneration();
    this.generation = before === this.generation && after === before + 1 ? after : -1;
  }

  /** Reads the file again when another process changed it since this instance last did. */
  async refresh(): Promise<void> {
    if ((await this.storedGeneration()) !== this.generation) await this.load();
  }

  async meta(key: string): Promise<string | undefined> {
    const rs = await this.client.execute({ sql: 'SELECT value FROM kb_meta WHERE key = ?', args: [key] });
    return rs.rows[0] ? String(rs.rows[0].value) : undefined;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.client.execute({ sql: 'INSERT OR REPLACE INTO kb_meta (key, value) VALUES (?, ?)', args: [key, value] });
  }

  /**
   * Ingests a file or every Markdown/JSON file under a folder. Changed documents are replaced, unchanged ones kept,
   * and documents previously ingested from under this path that are gone now are removed.
   */
  async ingestPath(fileOrDir: string, opts: { progress?: (line: string) => void; kind?: KbKind } = {}): Promise<IngestResult> {
    const progress = opts.progress ?? (() => {});
    const root = path.resolve(fileOrDir);
    const files = await listDocumentFiles(root);
    const result: IngestResult = { added: 0, updated: 0, removed: 0, unchanged: 0, errors: [] };
    const seen = new Set<string>();
    const pending: { doc: ParsedKbDocument; hash: string }[] = [];
    for (const [i, file] of files.entries()) {
      progress(`kb: reading ${i + 1}/${files.length} ${path.relative(process.cwd(), file) || file}`);
      let docs: ParsedKbDocument[];
      try {
        docs = await readDocumentFile(file, opts.kind);
      } catch (err) {
        result.errors.push({ file, message: (err as Error).message });
        progress(`kb: skipped ${file}: ${(err as Error).message}`);
        continue;
      }
      for (const doc of docs) {
        seen.add(doc.source);
        const hash = contentHash(doc);
        const prev = this.docs.get(doc.source);
        if (prev?.hash === hash) result.unchanged++;
        else {
          pending.push({ doc, hash });
          if (prev) result.updated++;
          else result.added++;
        }
      }
    }
    const gone = [...this.docs.keys()].filter((s) => isUnder(s, root) && !seen.has(s));
    for (const source of gone) await this.removeExact(source);
    result.removed = gone.length;
    await this.write(pending, progress);
    if (gone.length > 0 || pending.length > 0) await this.bumpGeneration();
    progress(`kb: ${result.added} added, ${result.updated} updated, ${result.removed} removed, ${result.unchanged} unchanged${result.errors.length ? `, ${result.errors.length} file(s) skipped` : ''}`);
    return result;
  }

  /** Adds or replaces one document (e.g. a resolved incident); unchanged content is not re-embedded. */
  async upsertDocument(input: KbDocument): Promise<'added' | 'updated' | 'unchanged'> {
    const doc = KbDocumentSchema.parse(input);
    const hash = contentHash(doc);
    const prev = this.docs.get(doc.source);
    if (prev?.hash === hash) return 'unchanged';
    await this.write([{ doc, hash }], () => {});
    await this.bumpGeneration();
    return prev ? 'updated' : 'added';
  }

  /** Removes a document, every record of a JSON collection (`file#…`) or everything ingested from under a folder. */
  async remove(source: string): Promise<number> {
    const matches = [...this.docs.keys()].filter((s) => s === source || isUnder(s, source));
    for (const s of matches) await this.removeExact(s);
    if (matches.length > 0) await this.bumpGeneration();
    return matches.length;
  }

  list(): { source: string; kind: KbKind; title: string; chunks: number; service?: string; tags: string[] }[] {
    return [...this.docs.values()]
      .map((d) => ({ source: d.source, kind: d.kind, title: d.title, chunks: d.chunkIds.length, tags: d.tags, ...(d.service ? { service: d.service } : {}) }))
      .sort((a, b) => a.source.localeCompare(b.source));
  }

  document(source: string): ParsedKbDocument | undefined {
    const d = this.docs.get(source);
    if (!d) return undefined;
    const { hash: _hash, chunkIds: _ids, ...doc } = d;
    return doc;
  }

  async search(query: string, opts: SearchOptions = {}): Promise<KbHit[]> {
    await this.refresh();
    const k = opts.k ?? 5;
    const mode = opts.mode ?? 'hybrid';
    const perSource = opts.perSource ?? true;
    const exclude = new Set(opts.exclude ?? []);
    const admissible = (source: string) => {
      const doc = this.docs.get(source);
      return !!doc && !exclude.has(source) && (!opts.kinds || opts.kinds.includes(doc.kind));
    };
    // deep enough that per-source deduplication and filters still leave k results
    const depth = Math.max(50, k * 10, this.docs.size > 0 ? Math.min(this.chunks.size, Math.ceil((this.chunks.size / this.docs.size) * k * 4)) : 0);
    const lists: RankedChunk[][] = [];
    if (mode !== 'vector') {
      const hits = this.lexical.search(query, { filter: (r) => admissible(this.chunks.get(String(r.id))?.source ?? '') });
      lists.push(hits.slice(0, depth).map((h) => ({ chunkId: String(h.id), source: this.chunks.get(String(h.id))!.source, score: h.score })));
    }
    if (mode !== 'lexical' && this.chunks.size > 0 && query.trim()) {
      const [vector] = await this.embedder.embed([query]);
      const filtered = opts.kinds || exclude.size > 0;
      const matches = await this.store.query(vector!, filtered ? Math.min(this.chunks.size, depth * 4) : depth);
      lists.push(matches.filter((m) => this.chunks.has(m.id) && admissible(m.source)).map((m) => ({ chunkId: m.id, source: m.source, score: m.similarity })));
    }
    let ranked = mode === 'hybrid' ? reciprocalRankFusion(lists.map(bestPerSource)) : perSource ? bestPerSource(lists[0] ?? []) : (lists[0] ?? []);
    ranked = ranked.map((r) => ({ ...r, score: r.score * this.boost(r.source, opts) })).sort((a, b) => b.score - a.score);
    return ranked.slice(0, k).map((r) => {
      const doc = this.docs.get(r.source)!;
      const chunk = this.chunks.get(r.chunkId);
      return {
        source: doc.source,
        kind: doc.kind,
        title: doc.title,
        score: r.score,
        snippet: snippetFor(chunk?.text ?? doc.text, query),
        chunkId: r.chunkId,
        tags: doc.tags,
        ...(doc.service ? { service: doc.service } : {}),
      };
    });
  }

  async close(): Promise<void> {
    await this.store.close();
    this.client.close();
  }

  private boost(source: string, opts: SearchOptions): number {
    const doc = this.docs.get(source);
    if (!doc) return 1;
    const norm = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, '');
    const tags = new Set(doc.tags.map(norm));
    const serviceHit = opts.service && doc.service && norm(doc.service) === norm(opts.service) ? SERVICE_BOOST : 0;
    const tagHits = (opts.tags ?? []).filter((t) => tags.has(norm(t))).length * TAG_BOOST;
    return 1 + serviceHit + tagHits;
  }

  private lexicalEntry(c: Chunk) {
    const doc = this.docs.get(c.source)!;
    return { id: c.id, title: doc.title, heading: c.headingPath.join(' '), text: c.text, tags: [...doc.tags, doc.service ?? ''].join(' ') };
  }

  /** What a chunk's vector is made of: its text with the document's title, headings and tags for context. */
  private embeddingText(c: Chunk): string {
    const doc = this.docs.get(c.source)!;
    return [doc.title, c.headingPath.join(' — '), doc.tags.join(' ').replace(/_/g, ' '), c.text].filter(Boolean).join('\n');
  }

  private async write(pending: { doc: ParsedKbDocument; hash: string }[], progress: (line: string) => void): Promise<void> {
    if (pending.length === 0) return;
    const fresh: Chunk[] = [];
    for (const { doc, hash } of pending) {
      if (this.docs.has(doc.source)) await this.removeExact(doc.source);
      const chunks = chunkMarkdown(doc.source, doc.text);
      if (chunks.length === 0) chunks.push({ id: chunkId(doc.source, [], 0), source: doc.source, ordinal: 0, headingPath: [], text: doc.title });
      this.docs.set(doc.source, { ...doc, hash, chunkIds: chunks.map((c) => c.id) });
      for (const c of chunks) this.chunks.set(c.id, c);
      fresh.push(...chunks);
      await this.client.batch(
        [
          {
            sql: 'INSERT OR REPLACE INTO kb_documents (source, kind, title, service, tags, meta, text, hash, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
            args: [doc.source, doc.kind, doc.title, doc.service ?? null, JSON.stringify(doc.tags), doc.meta ? JSON.stringify(doc.meta) : null, doc.text, hash, new Date().toISOString()],
          },
          ...chunks.map((c) => ({ sql: 'INSERT OR REPLACE INTO kb_chunks (id, source, ordinal, heading, text) VALUES (?, ?, ?, ?, ?)', args: [c.id, c.source, c.ordinal, JSON.stringify(c.headingPath), c.text] })),
        ],
        'write',
      );
      this.lexical.addAll(chunks.map((c) => this.lexicalEntry(c)));
    }
    await this.embedAndStore(fresh, progress);
  }

  private async embedAndStore(chunks: Chunk[], progress: (line: string) => void = this.log): Promise<void> {
    for (let i = 0; i < chunks.length; i += EMBED_BATCH) {
      const part = chunks.slice(i, i + EMBED_BATCH);
      const vectors = await this.embedder.embed(part.map((c) => this.embeddingText(c)));
      await this.store.upsert(part.map((c, j) => ({ id: c.id, source: c.source, vector: vectors[j]! })));
      progress(`kb: embedded ${Math.min(i + EMBED_BATCH, chunks.length)}/${chunks.length} chunks`);
    }
  }

  private async removeExact(source: string): Promise<void> {
    const doc = this.docs.get(source);
    if (!doc) return;
    for (const id of doc.chunkIds) {
      if (this.lexical.has(id)) this.lexical.discard(id);
      this.chunks.delete(id);
    }
    await this.store.delete(doc.chunkIds);
    await this.client.batch(
      [
        { sql: 'DELETE FROM kb_chunks WHERE source = ?', args: [source] },
        { sql: 'DELETE FROM kb_documents WHERE source = ?', args: [source] },
      ],
      'write',
    );
    this.docs.delete(source);
  }
}

/** A document from a file under a folder, or a record (`file#id`) of a collection file. */
function isUnder(source: string, root: string): boolean {
  return source.startsWith(`${root}#`) || source.startsWith(root.endsWith(path.sep) ? root : `${root}${path.sep}`);
}
