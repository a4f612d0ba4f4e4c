import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chunkMarkdown } from '../src/knowledge/chunking.js';
import { EndpointEmbedder, normalize, type Embedder } from '../src/knowledge/embeddings.js';
import { openKnowledgeBase, type KnowledgeBase } from '../src/knowledge/kb.js';
import { reciprocalRankFusion } from '../src/knowledge/ranking.js';
import { UpstashVectorStore } from '../src/knowledge/vector-store.js';
import { testConfig } from './helpers.js';

/** Meaning as the test defines it: each synonym group is one axis, so "ram" and "memory" point the same way. */
const AXES = [
  ['memory', 'ram', 'oom', 'heap'],
  ['disk', 'space', 'storage', 'volume'],
  ['cpu', 'processor', 'cores'],
  ['network', 'packet', 'latency', 'link'],
];
class ConceptEmbedder implements Embedder {
  readonly id = 'test:concepts';
  calls = 0;
  async embed(texts: string[]): Promise<Float32Array[]> {
    this.calls += texts.length;
    return texts.map((t) => {
      const words = t.toLowerCase().match(/[a-z]+/g) ?? [];
      const v = new Float32Array(AXES.length + 1);
      AXES.forEach((group, i) => (v[i] = words.filter((w) => group.includes(w)).length));
      v[AXES.length] = 0.1;
      return normalize(v);
    });
  }
}

const RUNBOOKS: Record<string, string> = {
  'mem.md': '---\ntitle: Memory leak\nservice: payments\ntags: [memory_leak, team-payments]\nowner: alice\n---\n# Memory leak\n\nResident memory grows until the container is OOM-killed.\n\n## Steps\n\n1. Take a heap dump.\n2. Restart the pods one by one.\n3. Roll back the release that leaked.\n',
  'disk.md': '---\ntitle: Disk full\ntags: disk_full\n---\nWrites fail: no space left on the volume.\n\n1. Remove rotated logs.\n2. Alert at 80 %.\n',
  'cpu.md': '---\ntitle: CPU saturation\nfaults: [cpu_saturation]\n---\nThe processor is at its quota and latency is up.\n',
  'net.md': '# Network loss\n\nPacket loss between zones raises latency on one link.\n',
};

const POSTMORTEMS = {
  'pm-1': { title: 'Storage outage', summary: 'Volumes became read-only.', details: 'A storage cluster lost quorum.', service_name: ['Storage'], 'root cause': { label: [{ 'layer-1': 'external causes', 'layer-2': 'hardware failures' }], details: 'Failed disks.' }, mitigation: { details: 'Replaced disks.', troubleshooting: { '1': 'Found failed disks', '2': 'Replaced them' } } },
  'pm-2': { title: 'Config push broke DNS', summary: 'Lookups failed after a configuration push.', service_name: ['DNS'], 'root cause': { label: [{ 'layer-1': 'internal causes', 'layer-2': 'software bugs', 'layer-3': 'config' }] } },
};

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function fixtureDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-fixture-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, 'postmortems'));
  for (const [name, text] of Object.entries(RUNBOOKS)) await writeFile(path.join(dir, name), text);
  await writeFile(path.join(dir, 'postmortems', 'cloud.json'), JSON.stringify(POSTMORTEMS));
  return dir;
}

async function openTestKb(embedder: Embedder = new ConceptEmbedder(), extra: Parameters<typeof openKnowledgeBase>[1] = {}): Promise<KnowledgeBase> {
  const config = await testConfig();
  cleanup.push(() => rm(config.home, { recursive: true, force: true }));
  const kb = await openKnowledgeBase(config, { embedder, bundledRunbooks: false, ...extra });
  cleanup.push(() => kb.close());
  return kb;
}

describe('chunking', () => {
  it('splits on headings, keeps a numbered list whole and gives the same ids to the same text', () => {
    const md = '# Title\n\nIntro.\n\n## Mitigation\n\nDo this:\n1. first step\n   with a continuation\n\n2. second step\n3. third\n\n## Follow up\n\nLater.';
    const chunks = chunkMarkdown('rb.md', md);
    expect(chunks.map((c) => c.headingPath.join(' > '))).toEqual(['Title', 'Title > Mitigation', 'Title > Follow up']);
    expect(chunks[1]!.text).toContain('1. first step\n   with a continuation\n\n2. second step\n3. third');
    expect(chunkMarkdown('rb.md', md).map((c) => c.id)).toEqual(chunks.map((c) => c.id));
    expect(new Set(chunks.map((c) => c.id)).size).toBe(3);
    expect(chunkMarkdown('other.md', md)[0]!.id).not.toBe(chunks[0]!.id);
  });
});

describe('knowledge base', () => {
  it('ingests a folder, re-ingests only what changed, removes deleted files, and persists across opens', async () => {
    const dir = await fixtureDir();
    const embedder = new ConceptEmbedder();
    const config = await testConfig();
    cleanup.push(() => rm(config.home, { recursive: true, force: true }));
    let kb = await openKnowledgeBase(config, { embedder, bundledRunbooks: false });
    const lines: string[] = [];
    expect(await kb.ingestPath(dir, { progress: (l) => lines.push(l) })).toMatchObject({ added: 6, updated: 0, removed: 0, unchanged: 0, errors: [] });
    expect(lines.some((l) => /reading 1\/5/.test(l))).toBe(true);
    const mem = kb.list().find((d) => d.title === 'Memory leak')!;
    expect(mem).toMatchObject({ kind: 'runbook', service: 'payments', tags: ['memory_leak', 'team-payments'] });
    expect(kb.document(mem.source)?.meta).toEqual({ owner: 'alice' });
    expect(kb.list().find((d) => d.title === 'CPU saturation')!.tags).toEqual(['cpu_saturation']);
    const pm = kb.list().filter((d) => d.kind === 'postmortem');
    expect(pm.map((d) => d.source).sort()).toEqual([`${dir}/postmortems/cloud.json#pm-1`, `${dir}/postmortems/cloud.json#pm-2`]);

    const embeddedBefore = embedder.calls;
    await writeFile(path.join(dir, 'disk.md'), RUNBOOKS['disk.md']!.replace('80 %', '75 %'));
    await rm(path.join(dir, 'net.md'));
    expect(await kb.ingestPath(dir)).toMatchObject({ added: 0, updated: 1, removed: 1, unchanged: 4 });
    expect(embedder.calls - embeddedBefore).toBe(1); // only the changed runbook's one chunk
    expect(kb.list().map((d) => d.title)).not.toContain('Network loss');
    expect((await kb.search('alert 75', { mode: 'lexical' }))[0]?.title).toBe('Disk full');
    expect(await kb.search('packet loss zones', { mode: 'lexical' })).toEqual([]);

    expect(await kb.remove(path.join(dir, 'postmortems', 'cloud.json'))).toBe(2);
    expect(await kb.remove('no-such-source')).toBe(0);
    await kb.upsertDocument({ source: 'INC-42', kind: 'incident', title: 'Payments OOM', text: 'Root cause: heap leak in v2.3. Fix: rolled back.', service: 'payments', tags: ['memory_leak'] });
    await kb.close();

    kb = await openKnowledgeBase(config, { embedder, bundledRunbooks: false });
    cleanup.push(() => kb.close());
    expect(kb.list().map((d) => d.title).sort()).toEqual(['CPU saturation', 'Disk full', 'Memory leak', 'Payments OOM']);
    expect((await kb.search('v2.3', { mode: 'lexical', k: 1 }))[0]).toMatchObject({ source: 'INC-42', kind: 'incident' });
    expect((await kb.search('ram', { mode: 'vector', k: 4 })).map((h) => h.title).slice(0, 2).sort()).toEqual(['Memory leak', 'Payments OOM']);
  });

  it('hybrid search finds by meaning what words miss, boosts the service and tags, filters kinds and excluded sources', async () => {
    const kb = await openTestKb();
    await kb.ingestPath(await fixtureDir());
    const query = 'using too much ram';
    expect(await kb.search(query, { mode: 'lexical' })).toEqual([]);
    const hybrid = await kb.search(query);
    expect(hybrid[0]).toMatchObject({ title: 'Memory leak', kind: 'runbook', service: 'payments' });
    expect(hybrid[0]!.snippet.length).toBeGreaterThan(0);
    expect(new Set(hybrid.map((h) => h.source)).size).toBe(hybrid.length);

    const plain = await kb.search('failed disks were replaced', { mode: 'lexical' });
    expect(plain.map((h) => h.title).slice(0, 2)).toEqual(['Storage outage', 'Disk full']);
    const boosted = await kb.search('failed disks were replaced', { mode: 'lexical', tags: ['disk_full'] });
    expect(boosted[0]!.title).toBe('Disk full');
    expect(boosted[0]!.score).toBeCloseTo(plain[1]!.score * 1.25, 6);
    expect((await kb.search('failed disks were replaced', { kinds: ['runbook'] })).map((h) => h.kind)).not.toContain('postmortem');
    const storage = plain[0]!.source;
    expect((await kb.search('failed disks were replaced', { exclude: [storage] })).map((h) => h.source)).not.toContain(storage);
    const byService = await kb.search('latency', { service: 'payments', mode: 'lexical' });
    expect(byService.map((h) => h.title)).toEqual(['CPU saturation', 'Network loss']);
    expect((await kb.search('latency memory', { service: 'payments', mode: 'lexical' }))[0]!.title).toBe('Memory leak');
  });

  it('sees what another process wrote to the same file at its next search, without being reopened', async () => {
    const config = await testConfig();
    cleanup.push(() => rm(config.home, { recursive: true, force: true }));
    const embedder = new ConceptEmbedder();
    // serve (reading) and `kb ingest` or a worker (writing) on one knowledge base file
    const reader = await openKnowledgeBase(config, { embedder, bundledRunbooks: false });
    cleanup.push(() => reader.close());
    const writer = await openKnowledgeBase(config, { embedder, bundledRunbooks: false });
    cleanup.push(() => writer.close());
    expect(await reader.search('fail over the payments database')).toEqual([]);
    await writer.upsertDocument({ source: 'rb/payments-db.md', kind: 'runbook', title: 'Fail over the payments database', text: '# Fail over\n\n1. Promote the replica.\n2. Repoint the payments service.', service: 'payments-db' });
    expect((await reader.search('fail over the payments database'))[0]).toMatchObject({ source: 'rb/payments-db.md', kind: 'runbook' });
    expect(reader.list().map((d) => d.source)).toEqual(['rb/payments-db.md']);
    await writer.remove('rb/payments-db.md');
    expect(await reader.search('fail over the payments database')).toEqual([]);
    // its own writes need no re-read, and leave it current
    await reader.upsertDocument({ source: 'rb/other.md', kind: 'runbook', title: 'Restart the cache', text: 'Restart it.' });
    expect((await reader.search('restart the cache'))[0]?.source).toBe('rb/other.md');
  });

  it('reciprocal-rank fusion puts first what both rankings hold high over what one ranks first and the other ignores', () => {
    const r = (source: string) => ({ chunkId: source, source, score: 1 });
    const lexical = [r('a'), r('c'), r('d')];
    const vector = [r('b'), r('c'), r('e')];
    expect(reciprocalRankFusion([lexical, vector]).map((x) => x.source)).toEqual(['c', 'a', 'b', 'd', 'e']);
  });
});

async function listen(handler: (req: IncomingMessage, body: string) => { status: number; json: unknown }): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const out = handler(req, body);
      res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('embeddings endpoint (OpenAI-compatible /v1/embeddings)', () => {
  it('sends the model and the inputs with the key, and reads the vectors back in input order', async () => {
    const seen: { path: string; auth: string; model: string; n: number }[] = [];
    const { url } = await listen((req, body) => {
      const parsed = JSON.parse(body) as { model: string; input: string[] };
      seen.push({ path: req.url ?? '', auth: req.headers.authorization ?? '', model: parsed.model, n: parsed.input.length });
      if (req.url !== '/v1/embeddings' || req.headers.authorization !== 'Bearer sk-test') return { status: 401, json: { error: { message: 'bad key' } } };
      const data = parsed.input.map((text, index) => ({ object: 'embedding', index, embedding: [...syncConcepts(text)].map((x) => x * 3) }));
      return { status: 200, json: { object: 'list', data: data.reverse(), model: parsed.model, usage: { prompt_tokens: 1, total_tokens: 1 } } };
    });
    const embedder = new EndpointEmbedder({ url: `${url}/v1`, model: 'nomic-embed-text', apiKey: 'sk-test', batchSize: 3 });
    const kb = await openTestKb(embedder);
    await kb.ingestPath(await fixtureDir());
    expect(seen.every((s) => s.path === '/v1/embeddings' && s.auth === 'Bearer sk-test' && s.model === 'nomic-embed-text' && s.n <= 3)).toBe(true);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    const [v] = await embedder.embed(['ram ram']);
    expect(Math.hypot(...v!)).toBeCloseTo(1, 5);
    expect((await kb.search('too much ram', { mode: 'vector', k: 1 }))[0]!.title).toBe('Memory leak');
    const wrongKey = new EndpointEmbedder({ url: `${url}/v1`, model: 'm', apiKey: 'nope' });
    await expect(wrongKey.embed(['x'])).rejects.toThrow(/401/);
  });
});

function syncConcepts(text: string): Float32Array {
  const words = text.toLowerCase().match(/[a-z]+/g) ?? [];
  const v = new Float32Array(AXES.length + 1);
  AXES.forEach((group, i) => (v[i] = words.filter((w) => group.includes(w)).length));
  v[AXES.length] = 0.1;
  return normalize(v);
}

describe('Upstash Vector store', () => {
  it('upserts, queries and deletes through the Upstash REST API', async () => {
    const vectors = new Map<string, { vector: number[]; metadata: unknown }>();
    const calls: string[] = [];
    const { url } = await listen((req, body) => {
      if (req.headers.authorization !== 'Bearer upstash-token') return { status: 401, json: { error: 'Unauthorized' } };
      calls.push(req.url ?? '');
      const payload = JSON.parse(body || 'null');
      if (req.url === '/upsert') {
        for (const v of payload as { id: string; vector: number[]; metadata: unknown }[]) vectors.set(v.id, { vector: v.vector, metadata: v.metadata });
        return { status: 200, json: { result: 'Success' } };
      }
      if (req.url === '/query') {
        const q = payload as { vector: number[]; topK: number; includeMetadata?: boolean };
        const cos = (a: number[]) => a.reduce((s, x, i) => s + x * q.vector[i]!, 0) / (Math.hypot(...a) * Math.hypot(...q.vector) || 1);
        const result = [...vectors.entries()]
          .map(([id, v]) => ({ id, score: (1 + cos(v.vector)) / 2, ...(q.includeMetadata ? { metadata: v.metadata } : {}) }))
          .sort((a, b) => b.score - a.score)
          .slice(0, q.topK);
        return { status: 200, json: { result } };
      }
      if (req.url === '/delete') {
        const ids = (payload as { ids: string[] }).ids;
        let deleted = 0;
        for (const id of ids) if (vectors.delete(id)) deleted++;
        return { status: 200, json: { result: { deleted } } };
      }
      if (req.url === '/reset') {
        vectors.clear();
        return { status: 200, json: { result: 'Success' } };
      }
      return { status: 404, json: { error: `no ${req.url}` } };
    });
    const kb = await openTestKb(new ConceptEmbedder(), { vectorStore: new UpstashVectorStore({ url, token: 'upstash-token' }) });
    const dir = await fixtureDir();
    await kb.ingestPath(dir);
    const chunkCount = kb.list().reduce((s, d) => s + d.chunks, 0);
    expect(vectors.size).toBe(chunkCount);
    expect((await kb.search('too much ram', { mode: 'vector', k: 1 }))[0]!.title).toBe('Memory leak');
    const memChunks = kb.list().find((d) => d.title === 'Memory leak')!.chunks;
    expect(await kb.remove(path.join(dir, 'mem.md'))).toBe(1);
    expect(vectors.size).toBe(chunkCount - memChunks);
    expect(calls).toEqual(expect.arrayContaining(['/upsert', '/query', '/delete']));
    expect((await kb.search('too much ram', { mode: 'vector', k: 1 }))[0]!.title).not.toBe('Memory leak');
  });
});
