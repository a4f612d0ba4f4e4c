import type { Client } from '@libsql/client';
import { Index } from '@upstash/vector';

export interface StoredVector {
  /** the chunk id */
  id: string;
  source: string;
  vector: Float32Array;
}

export interface VectorMatch {
  id: string;
  source: string;
  /** cosine similarity, 1 = same direction */
  similarity: number;
}

/** Where chunk vectors live; the knowledge base keeps documents and chunks itself and only asks for nearest ids. */
export interface VectorStore {
  /** names the store, so that switching stores re-sends every vector */
  readonly id: string;
  upsert(items: StoredVector[]): Promise<void>;
  delete(ids: string[]): Promise<void>;
  query(vector: Float32Array, k: number): Promise<VectorMatch[]>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

const blob = (v: Float32Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

/**
 * Vectors as Float32 blobs in the knowledge base's own LibSQL file, compared with LibSQL's native
 * vector_distance_cos. An exact scan: at the scale of a team's runbooks and postmortems (thousands of chunks) it
 * answers in milliseconds and needs no approximate index to be kept in step.
 */
export class LibsqlVectorStore implements VectorStore {
  readonly id = 'libsql';

  private constructor(private readonly client: Client) {}

  static async open(client: Client): Promise<LibsqlVectorStore> {
    await client.execute('CREATE TABLE IF NOT EXISTS kb_vectors (chunk_id TEXT PRIMARY KEY, source TEXT NOT NULL, embedding BLOB NOT NULL)');
    await client.execute('CREATE INDEX IF NOT EXISTS kb_vectors_source ON kb_vectors(source)');
    return new LibsqlVectorStore(client);
  }

  async upsert(items: StoredVector[]): Promise<void> {
    if (items.length === 0) return;
    await this.client.batch(
      items.map((it) => ({ sql: 'INSERT OR REPLACE INTO kb_vectors (chunk_id, source, embedding) VALUES (?, ?, ?)', args: [it.id, it.source, blob(it.vector)] })),
      'write',
    );
  }

  async delete(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      await this.client.execute({ sql: `DELETE FROM kb_vectors WHERE chunk_id IN (${part.map(() => '?').join(',')})`, args: part });
    }
  }

  async query(vector: Float32Array, k: number): Promise<VectorMatch[]> {
    const rs = await this.client.execute({
      sql: 'SELECT chunk_id, source, vector_distance_cos(embedding, ?) AS distance FROM kb_vectors ORDER BY distance LIMIT ?',
      args: [blob(vector), k],
    });
    return rs.rows.map((r) => ({ id: String(r.chunk_id), source: String(r.source), similarity: 1 - Number(r.distance) }));
  }

  async clear(): Promise<void> {
    await this.client.execute('DELETE FROM kb_vectors');
  }

  async close(): Promise<void> {
    // the knowledge base owns and closes the client
  }
}

export interface UpstashOptions {
  url: string;
  token: string;
}

/**
 * Upstash Vector (its REST API through @upstash/vector). The index must be created with the embedder's dimension and
 * the cosine metric; Upstash reports cosine scores as (1 + cos) / 2, turned back into the cosine here.
 */
export class UpstashVectorStore implements VectorStore {
  readonly id: string;
  private readonly index: Index<{ source: string }>;

  constructor(opts: UpstashOptions) {
    this.id = `upstash:${new URL(opts.url).host}`;
    this.index = new Index<{ source: string }>({ url: opts.url, token: opts.token, enableTelemetry: false });
  }

  async upsert(items: StoredVector[]): Promise<void> {
    for (let i = 0; i < items.length; i += 100) {
      await this.index.upsert(items.slice(i, i + 100).map((it) => ({ id: it.id, vector: Array.from(it.vector), metadata: { source: it.source } })));
    }
  }

  async delete(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) await this.index.delete(ids.slice(i, i + 500));
  }

  async query(vector: Float32Array, k: number): Promise<VectorMatch[]> {
    const results = await this.index.query({ vector: Array.from(vector), topK: k, includeMetadata: true });
    return results.map((r) => ({ id: String(r.id), source: r.metadata?.source ?? '', similarity: 2 * r.score - 1 }));
  }

  async clear(): Promise<void> {
    await this.index.reset();
  }

  async close(): Promise<void> {}
}
