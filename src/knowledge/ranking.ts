import { terms } from './text.js';

/** One ranked list of chunks, best first, as a retriever returned it. */
export interface RankedChunk {
  chunkId: string;
  source: string;
  score: number;
}

/** Reciprocal-rank fusion's damping constant, the value of the original paper (Cormack et al. 2009). */
export const RRF_K = 60;

/** Keeps each source's best chunk, in order: the first occurrence is the best one. */
export function bestPerSource(ranked: RankedChunk[]): RankedChunk[] {
  const seen = new Set<string>();
  return ranked.filter((r) => (seen.has(r.source) ? false : (seen.add(r.source), true)));
}

/**
 * Reciprocal-rank fusion of per-source rankings: Σ 1/(RRF_K + rank). Scores of different retrievers (BM25, cosine)
 * are not comparable, their ranks are. The representative chunk of a source is the one the first list ranked best.
 */
export function reciprocalRankFusion(lists: RankedChunk[][]): RankedChunk[] {
  const fused = new Map<string, RankedChunk>();
  for (const list of lists) {
    list.forEach((r, rank) => {
      const add = 1 / (RRF_K + rank + 1);
      const prev = fused.get(r.source);
      if (prev) prev.score += add;
      else fused.set(r.source, { ...r, score: add });
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score);
}

/** A passage of at most `max` characters around the first place the query's words occur. */
export function snippetFor(text: string, query: string, max = 320): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const wanted = new Set(terms(query));
  let at = 0;
  const re = /[A-Za-z0-9]+/g;
  for (let m = re.exec(flat); m; m = re.exec(flat)) {
    if (wanted.has(terms(m[0])[0] ?? '')) {
      at = m.index;
      break;
    }
  }
  let start = Math.max(0, at - Math.floor(max / 4));
  // start at a sentence or word boundary
  const sentence = flat.lastIndexOf('. ', at);
  if (sentence >= 0 && at - sentence < max / 2) start = sentence + 2;
  else if (start > 0) start = flat.indexOf(' ', start) + 1;
  const end = Math.min(flat.length, start + max);
  return `${start > 0 ? '…' : ''}${flat.slice(start, end).trim()}${end < flat.length ? '…' : ''}`;
}
