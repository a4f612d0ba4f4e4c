/**
 * Merging for the template miner (log-templates.ts): whether a template token with masks accepts a message token,
 * and the most specific token covering two tokens. Tokens are masked by log-masking.ts.
 */
import { DELIMS, WILDCARD, collapse } from './log-masking.js';

/** Whether a token with masks (`user=<*>`) accepts a token: same text before the first and after the last mask. */
export function accepts(pattern: string, tok: string): boolean {
  const first = pattern.indexOf(WILDCARD);
  if (first < 0) return false;
  const last = pattern.lastIndexOf(WILDCARD);
  const tail = pattern.length - last - 3;
  return tok.length >= first + tail && tok.startsWith(pattern.slice(0, first)) && tok.endsWith(pattern.slice(last + 3));
}

/** Splits a token into pieces and the delimiters between them: `uid=<*>` → ['uid', '=', '<*>']. */
function pieces(tok: string): string[] {
  const out: string[] = [];
  let piece = '';
  for (let i = 0; i < tok.length; i++) {
    if (tok.startsWith(WILDCARD, i)) {
      if (piece) out.push(piece);
      piece = '';
      out.push(WILDCARD);
      i += 2;
      continue;
    }
    const ch = tok[i]!;
    if (DELIMS.has(ch)) {
      if (piece) out.push(piece);
      piece = '';
      out.push(ch);
    } else piece += ch;
  }
  if (piece) out.push(piece);
  return out;
}

/**
 * The most specific token covering both: tokens with the same delimiters keep their common pieces
 * (`user=root`, `user=guest` → `user=<*>`), anything else becomes `<*>`.
 */
export function generalize(a: string, b: string): string {
  if (a === b) return a;
  if (a === WILDCARD || b === WILDCARD) return WILDCARD;
  // a template token meets the same few values again and again (`user=<*>` with `user=root`): remember the results
  let memo = generalized.get(a);
  const hit = memo?.get(b);
  if (hit !== undefined) return hit;
  const out = generalizePieces(a, b);
  if (++generalizedSize > GENERALIZED_MAX) {
    generalized.clear();
    generalizedSize = 1;
    memo = undefined;
  }
  if (!memo) generalized.set(a, (memo = new Map()));
  memo.set(b, out);
  return out;
}

const generalized = new Map<string, Map<string, string>>();
let generalizedSize = 0;
const GENERALIZED_MAX = 100_000;

function generalizePieces(a: string, b: string): string {
  const pa = pieces(a);
  const pb = pieces(b);
  const isDelim = (x: string) => x.length === 1 && DELIMS.has(x);
  let out = '';
  if (pa.length === pb.length && pa.every((x, i) => isDelim(x) === isDelim(pb[i]!) && (!isDelim(x) || x === pb[i]))) {
    // same delimiter skeleton: keep the common pieces
    for (let i = 0; i < pa.length; i++) {
      const x = pa[i]!;
      if (x === pb[i]) {
        out += x;
      } else out += WILDCARD;
    }
    return collapse(out);
  }
  // otherwise keep the common leading and trailing pieces that end/start at a delimiter (`rhost=…` → `rhost=<*>`)
  let pre = 0;
  while (pre < pa.length && pre < pb.length && pa[pre] === pb[pre]) pre++;
  while (pre > 0 && !isDelim(pa[pre - 1]!)) pre--;
  let suf = 0;
  while (suf < pa.length - pre && suf < pb.length - pre && pa[pa.length - 1 - suf] === pb[pb.length - 1 - suf]) suf++;
  while (suf > 0 && !isDelim(pa[pa.length - suf]!)) suf--;
  const head = pa.slice(0, pre);
  const tail = pa.slice(pa.length - suf);
  if (!head.concat(tail).some((x) => x !== WILDCARD && !isDelim(x)) && !head.length && !tail.length) return WILDCARD;
  if (!head.length && !tail.length) return WILDCARD;
  return collapse(head.join('') + WILDCARD + tail.join(''));
}
