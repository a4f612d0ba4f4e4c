import { z } from 'zod';
import { STOP_WORDS, stem, words } from './text.js';
import { loadWordVectors, type WordVectors } from './word-vectors.js';

/** Turns texts into unit-length vectors; `id` names the model, so stored vectors of another model get re-embedded. */
export interface Embedder {
  readonly id: string;
  embed(texts: string[]): Promise<Float32Array[]>;
}

const WORD_HASH_DIMS = 512;
const CHAR_HASH_DIMS = 512;
/** a word the vectors' corpus does not know counts as rarer than any it knows */
const UNKNOWN_RANK = 400_000;

/**
 * The offline embedding: three blocks of equal weight, each unit length —
 * (1) the weighted average of the package's word vectors (meaning: "ram" is near "memory"), centred on the mean word
 *     vector so that unrelated texts are not all similar;
 * (2) signed hashed stemmed words and word pairs (the words themselves, which the averaged vectors blur);
 * (3) signed hashed character 3- and 4-grams of each word (spelling variants, codes and jargon the vectors lack).
 * Words are weighted by rarity, read from the vectors' own frequency ranks, so no corpus statistics are needed and a
 * text's vector does not change when other documents are added.
 */
export class OfflineEmbedder implements Embedder {
  readonly id = `offline:wink-sg-100d+hash${WORD_HASH_DIMS}+char${CHAR_HASH_DIMS}:v1`;
  private vectors: Promise<{ wv: WordVectors; mean: Float32Array }> | undefined;

  constructor(private readonly cacheDir: string) {}

  async embed(texts: string[]): Promise<Float32Array[]> {
    this.vectors ??= loadWordVectors(this.cacheDir).then((wv) => ({ wv, mean: wv.meanOfMostFrequent(10_000) }));
    const { wv, mean } = await this.vectors;
    return texts.map((t) => embedOffline(t, wv, mean));
  }
}

function rarity(wv: WordVectors, word: string): number {
  return Math.log(1 + (wv.rank(word) ?? UNKNOWN_RANK) / 200);
}

function embedOffline(text: string, wv: WordVectors, mean: Float32Array): Float32Array {
  const dims = wv.dimensions;
  const dense = new Float32Array(dims);
  const wordBlock = new Float32Array(WORD_HASH_DIMS);
  const charBlock = new Float32Array(CHAR_HASH_DIMS);
  const content = words(text).filter((w) => !STOP_WORDS.has(w));
  let previous: string | undefined;
  for (const word of content) {
    const weight = rarity(wv, word);
    const v = wv.vector(word);
    if (v) for (let d = 0; d < dims; d++) dense[d]! += weight * (v[d]! - mean[d]!);
    const stemmed = stem(word);
    addHashed(wordBlock, `w:${stemmed}`, weight);
    if (previous !== undefined) addHashed(wordBlock, `b:${previous} ${stemmed}`, weight / 2);
    previous = stemmed;
    const padded = `<${word}>`;
    const grams: string[] = [];
    for (const n of [3, 4]) for (let i = 0; i + n <= padded.length; i++) grams.push(padded.slice(i, i + n));
    for (const g of grams) addHashed(charBlock, `c:${g}`, weight / Math.sqrt(grams.length));
  }
  const out = new Float32Array(dims + WORD_HASH_DIMS + CHAR_HASH_DIMS);
  const blockWeight = 1 / Math.sqrt(3);
  let offset = 0;
  for (const block of [dense, wordBlock, charBlock]) {
    const norm = Math.hypot(...block) || 1;
    for (let i = 0; i < block.length; i++) out[offset + i] = (block[i]! / norm) * blockWeight;
    offset += block.length;
  }
  return normalize(out);
}

function addHashed(block: Float32Array, key: string, weight: number): void {
  const h = fnv1a(key);
  block[h % block.length]! += h & 0x80000000 ? -weight : weight;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function normalize(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}

const EmbeddingsResponseSchema = z.object({
  data: z.array(z.object({ index: z.number().int().min(0), embedding: z.array(z.number()) })),
});

export interface EndpointEmbedderOptions {
  /** the API base (…/v1) or the full …/embeddings URL */
  url: string;
  model: string;
  apiKey?: string;
  timeoutMs?: number;
  batchSize?: number;
}

/** Any OpenAI-compatible POST /v1/embeddings (OpenAI, Ollama, vLLM, LM Studio, text-embeddings-inference). */
export class EndpointEmbedder implements Embedder {
  readonly id: string;
  private readonly endpoint: string;

  constructor(private readonly opts: EndpointEmbedderOptions) {
    this.id = `endpoint:${opts.model}`;
    this.endpoint = /\/embeddings\/?$/.test(opts.url) ? opts.url : `${opts.url.replace(/\/+$/, '')}/embeddings`;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    const batch = this.opts.batchSize ?? 64;
    for (let i = 0; i < texts.length; i += batch) out.push(...(await this.embedBatch(texts.slice(i, i + batch))));
    return out;
  }

  private async embedBatch(input: string[]): Promise<Float32Array[]> {
    const res = await fetch(this.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}) },
      body: JSON.stringify({ model: this.opts.model, input, encoding_format: 'float' }),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
    });
    const body = await res.text();
    if (!res.ok) throw new Error(`embeddings endpoint answered ${res.status}: ${body.slice(0, 200)}`);
    const parsed = EmbeddingsResponseSchema.parse(JSON.parse(body));
    if (parsed.data.length !== input.length) throw new Error(`embeddings endpoint returned ${parsed.data.length} vectors for ${input.length} texts`);
    return [...parsed.data].sort((a, b) => a.index - b.index).map((d) => normalize(Float32Array.from(d.embedding)));
  }
}
