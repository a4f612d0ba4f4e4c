import type { LogLevel } from '../model/telemetry.js';
import { redact } from '../redaction/redact.js';

/**
 * Drain-style streaming log template miner (He et al., 2017), refined:
 * - masking works on the pieces of each whitespace token, so punctuation stays as in Loghub's templates
 *   (`uid=0` → `uid=<*>`, `10.0.0.1:80` → `<*>:<*>`): numbers, hex (0x… and ≥ 4 hex digits), ids with a run of
 *   ≥ 4 digits or ≥ 8 characters with ≥ 2 digits, numbers with units (35ms, 2KB), booleans/null, paths, host names
 *   (known top-level domains, or a numbered host before a port), UUIDs, calendar timestamps;
 * - a fixed-depth tree keyed by token count and the first two tokens (tokens with masks route to `<*>`);
 * - similarity = (equal constant tokens + paramWeight × wildcard positions that accept the token) / length;
 * - merging keeps the common pieces of two tokens (`user=root` + `user=guest` → `user=<*>`);
 * - a constant word merged away is remembered with its values while they are few (maxSplitValues), and
 *   templateFor() keeps such words (`… HTTPS` / `… SOCKS5` stay apart, user names merge).
 * Parameters were chosen once over all Loghub-2k systems together (bench loghub), never per system: depth 4,
 * similarity 0.6, paramWeight 0.5, maxSplitValues 3; the average accuracy is flat around them (similarity 0.5–0.7,
 * maxSplitValues 3–4 move GA by < 0.01). Counts are kept per time bucket and level so windows can be compared.
 */
export const WILDCARD = '<*>';

/** Characters that split a token into pieces; a piece is a maximal run of other characters. */
const DELIMS = new Set(' \t,;:=|"\'[](){}.-+@#$%&/\\<>!?*~^`'.split(''));
const UNIT = /^\d+(?:ms|us|µs|ns|s|sec|secs|min|mins|h|hrs|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|b|bytes|px|x)$/i;
const CONSTANT_WORDS = new Set(['true', 'false', 'null', 'TRUE', 'FALSE', 'NULL', 'True', 'False', 'Null']);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHexLetter(c: number): boolean {
  return (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** Whether one piece (no delimiters inside) is a variable: numbers, hex, ids, numbers with units, booleans/null. */
export function isVariablePiece(p: string): boolean {
  if (CONSTANT_WORDS.has(p)) return true;
  let digits = 0;
  let hex = 0;
  let run = 0;
  let maxRun = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (isDigit(c)) {
      digits++;
      hex++;
      if (++run > maxRun) maxRun = run;
    } else {
      run = 0;
      if (isHexLetter(c)) hex++;
    }
  }
  if (digits === 0) return false;
  if (digits === p.length) return true; // decimal number
  if (hex === p.length && p.length >= 4) return true; // hex id
  if (p.length > 2 && p.charCodeAt(0) === 48 && (p[1] === 'x' || p[1] === 'X') && hex === p.length - 1) return true; // 0x…
  if (maxRun >= 4) return true; // long digit run inside an id: blk_123456, application_1445087491445_0005
  if (p.length >= 8 && digits >= 2) return true; // random alphanumeric ids
  return UNIT.test(p); // 35ms, 2KB
}

function collapse(s: string): string {
  let t = s;
  if (t.includes('>-<')) t = t.replace(/<\*>(?:-<\*>){4}/g, WILDCARD); // UUIDs
  if (t.includes('_-<*>')) t = t.replace(/[A-Za-z0-9]+_-<\*>/g, WILDCARD); // blk_-123
  while (t.includes('<*>.<*>')) t = t.replaceAll('<*>.<*>', '<*>');
  while (t.includes('<*><*>')) t = t.replaceAll('<*><*>', '<*>');
  return t;
}

/** Path-like pieces between path delimiters (`/a/b`, `/x/1.log`) → `<*>`. */
function maskPaths(tok: string): string {
  return tok.replace(/(?<![^\s,;:=|"'[\](){}!])(?:\/[^\s,;:=|"'[\](){}!/]+){2,}\/?(?=$|[\s,;:=|"'[\](){}!])|(?<![^\s,;:=|"'[\](){}!])\/[^\s,;:=|"'[\](){}!/]*\d[^\s,;:=|"'[\](){}!/]*(?=$|[\s,;:=|"'[\](){}!])/g, WILDCARD);
}

/** host names: dotted labels ending in a common top-level domain */
const DOMAIN = /(?<![\w.-])(?:[A-Za-z0-9-]+\.)+(?:com|net|org|edu|gov|mil|io|hk|cn|uk|de|jp|fr|ru|br|in|au|kr|tw|local|internal|lan)(?![\w.-])/g;

const DOMAIN_TEST = new RegExp(DOMAIN.source);

const MONTHS = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*';
const DATE = new RegExp(`(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\\s+)?${MONTHS}\\s+\\d{1,2},?\\s+(?:\\d{4}\\s+)?\\d{1,2}:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?(?:\\s+\\d{4}(?!\\d))?`, 'g');
const DATE_TEST = new RegExp(DATE.source);

const tokenCache = new Map<string, string>();
const TOKEN_CACHE_MAX = 200_000;

/** One whitespace-free token with its variable pieces replaced by `<*>` (`uid=0` → `uid=<*>`, `10.0.0.1:80` → `<*>:<*>`). */
export function maskToken(tok: string): string {
  let digits = 0;
  let special = false; // '/' or '.': paths and host names
  for (let i = 0; i < tok.length; i++) {
    const c = tok.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 47 || c === 46) special = true;
  }
  if (digits === tok.length) return WILDCARD; // a plain number, the commonest variable
  if (digits === 0 && !special) {
    // words: only booleans and null are variables
    return tok.length >= 4 && BOOL_HINT.test(tok) ? maskPieces(tok) : tok;
  }
  // tokens with digits are mostly unique (no cache); words with '/' or '.' repeat (cached)
  if (digits === 0) {
    const hit = tokenCache.get(tok);
    if (hit !== undefined) return hit;
  }
  let out = tok;
  if (special) {
    if (out.includes('/')) out = maskPaths(out);
    if (letterAfterLastDot(out) && DOMAIN_TEST.test(out)) out = out.replace(DOMAIN, WILDCARD);
  }
  out = maskPieces(out);
  if (digits === 0) {
    if (tokenCache.size >= TOKEN_CACHE_MAX) tokenCache.clear();
    tokenCache.set(tok, out);
  }
  return out;
}

const BOOL_HINT = /true|false|null/i;
function letterAfterLastDot(s: string): boolean {
  const i = s.lastIndexOf('.');
  if (i < 0 || i + 1 >= s.length) return false;
  const c = s.charCodeAt(i + 1) | 32;
  return c >= 97 && c <= 122;
}
const HOST_WITH_PORT = /(?<![\w.-])[\w.-]*<\*>[\w.-]*(?=(?:\/<\*>)?:<\*>)/g;
const DELIM_CODES = new Uint8Array(128);
for (const ch of DELIMS) if (ch.charCodeAt(0) < 128) DELIM_CODES[ch.charCodeAt(0)] = 1;

/** Replaces the variable pieces of a token (see isVariablePiece) and merges adjacent masks. */
function maskPieces(tok: string): string {
  let res = '';
  let flushed = 0; // tok[flushed, start) is constant text not yet copied into res
  let start = 0;
  let masks = 0;
  let digits = 0;
  let hex = 0;
  let run = 0;
  let maxRun = 0;
  const n = tok.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? tok.charCodeAt(i) : 32;
    if (c < 128 && DELIM_CODES[c]) {
      const len = i - start;
      if (len > 0) {
        let variable: boolean;
        if (digits === 0) variable = len >= 4 && len <= 5 && CONSTANT_WORDS.has(tok.slice(start, i));
        else if (digits === len || maxRun >= 4 || (hex === len && len >= 4) || (len >= 8 && digits >= 2)) variable = true;
        else variable = isVariablePiece(tok.slice(start, i)); // 0x…, units
        if (variable) {
          res += tok.slice(flushed, start) + WILDCARD;
          flushed = i;
          masks++;
        }
      }
      start = i + 1;
      digits = hex = run = maxRun = 0;
    } else if (c >= 48 && c <= 57) {
      digits++;
      hex++;
      if (++run > maxRun) maxRun = run;
    } else {
      run = 0;
      if ((c >= 97 && c <= 102) || (c >= 65 && c <= 70)) hex++;
    }
  }
  if (masks) res += tok.slice(flushed);
  if (!masks) return tok;
  // a mask already in the token was split by its own < * > delimiters: put it back together
  if (res.includes('<<*>>')) res = res.replaceAll('<<*>>', WILDCARD);
  if (res.includes('-<*>')) res = res.replace(/(^|[=:,(\[])-<\*>/g, `$1${WILDCARD}`);
  // a host name with a number before a port or an address (`msra-sa-41:9000`, `node-7/10.0.0.1:80`) is one variable
  if (masks > 1 || res.includes('_-<')) res = collapse(res);
  return masks > 1 && res.includes(':<*>') ? collapse(res.replace(HOST_WITH_PORT, WILDCARD)) : res;
}

/** Replaces variable parts of a message with `<*>`. */
export function maskMessage(message: string): string {
  return maskTokens(message).join(' ');
}

/** Whitespace tokens of a message, each masked; a calendar timestamp (`Fri Jun 17 07:07:00 2005`) is one `<*>`. */
export function maskTokens(message: string): string[] {
  const out = splitMask(message);
  if (out === DATE_SEEN) return splitMask(message.replace(DATE, WILDCARD), true) as string[];
  return out.length ? out : ['<empty>'];
}

const DATE_SEEN: string[] = [];
const MONTH_NAMES = new Set(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']);

/** Masked whitespace tokens; DATE_SEEN when a month name followed by a timestamp calls for the slower path. */
function splitMask(text: string, datesDone = false): string[] {
  const out: string[] = [];
  let start = -1;
  const n = text.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 32;
    if (c === 32 || (c >= 9 && c <= 13) || c === 160) {
      if (start >= 0) {
        const tok = text.slice(start, i);
        if (!datesDone && i - start === 3 && MONTH_NAMES.has(tok) && DATE_TEST.test(text)) return DATE_SEEN;
        out.push(maskToken(tok));
      }
      start = -1;
    } else if (start < 0) start = i;
  }
  return out;
}

export function tokenize(masked: string): string[] {
  const t = masked.split(/\s+/).filter(Boolean);
  return t.length ? t : ['<empty>'];
}

export interface MinerOptions {
  /** tree depth including the root and length layers (default 4 → 2 first tokens route) */
  depth?: number;
  /** share of equal tokens (wildcard positions weighted by paramWeight) needed to join a template (default 0.6) */
  similarity?: number;
  /** children per tree node before overflowing into `<*>` (default 100) */
  maxChildren?: number;
  /** count bucket width (default 60 000 ms) */
  bucketMs?: number;
  /** weight of a wildcard position that accepts the token in the similarity (default 0.5) */
  paramWeight?: number;
  /**
   * a position whose constant word was merged away stays apart per value while it has shown at most this many
   * distinct words (default 3; see templateFor): `… HTTPS` / `… SOCKS5` stay two templates, user names merge
   */
  maxSplitValues?: number;
}

type LevelCounts = Partial<Record<LogLevel, number>>;
interface Bucket {
  first: number;
  levels: LevelCounts;
}
interface Cluster {
  id: string;
  tokens: string[];
  path: string[];
  count: number;
  firstMs: number;
  lastMs: number;
  sample: string;
  lastSample: string;
  /** latest raw message, redacted into lastSample when read (redaction per record is too slow for a stream) */
  lastRaw?: string;
  levels: LevelCounts;
  buckets: Map<number, Bucket>;
  /**
   * Per position that lost a constant word by merging: the values seen there and their counts while there are few
   * (≤ options.maxSplitValues); null once a position has shown many values (a true variable). See templateFor().
   */
  values?: (Map<string, number> | null | undefined)[];
}
interface Node {
  children: Map<string, Node>;
  clusters: Cluster[];
}

export interface TemplateInfo {
  id: string;
  template: string;
  count: number;
  firstMs: number;
  lastMs: number;
  /** first and latest raw messages (redacted) */
  sample: string;
  lastSample: string;
  levels: LevelCounts;
}

export interface TemplateMinerState {
  version: 1;
  options: Required<MinerOptions>;
  templates: (Omit<TemplateInfo, 'template'> & {
    tokens: string[];
    path: string[];
    buckets: [number, number, LevelCounts][];
    /** per position: 0 = constant so far, null = a variable, else the few values seen and their counts */
    values?: (0 | null | [string, number][])[];
  })[];
}

export interface TemplateWindowEntry {
  id: string;
  template: string;
  count: number;
  levels: LevelCounts;
  /** first record in the window (bucket resolution beyond the first record overall) */
  firstMs: number;
  sample: string;
}
export interface TemplateWindowStats {
  fromMs: number;
  toMs: number;
  total: number;
  levels: LevelCounts;
  templates: Record<string, TemplateWindowEntry>;
}

const sum = (l: LevelCounts): number => Object.values(l).reduce((a, b) => a + (b ?? 0), 0);
const bump = (l: LevelCounts, level: LogLevel, n = 1): void => {
  l[level] = (l[level] ?? 0) + n;
};

function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export class TemplateMiner {
  readonly options: Required<MinerOptions>;
  private readonly root = new Map<number, Node>();
  private readonly clusters = new Map<string, Cluster>();

  constructor(options: MinerOptions = {}) {
    this.options = {
      depth: Math.max(3, options.depth ?? 4),
      similarity: options.similarity ?? 0.6,
      maxChildren: Math.max(2, options.maxChildren ?? 100),
      bucketMs: options.bucketMs ?? 60_000,
      paramWeight: options.paramWeight ?? 0.5,
      maxSplitValues: options.maxSplitValues ?? 3,
    };
  }

  get size(): number {
    return this.clusters.size;
  }

  /** Adds one message; returns the id of the template it joined or created. */
  add(message: string, ts = 0, level: LogLevel = 'INFO'): string {
    const tokens = maskTokens(message);
    let c = this.search(tokens);
    if (c) {
      const ct = c.tokens;
      for (let i = 0; i < tokens.length; i++) {
        const cur = ct[i]!;
        const tok = tokens[i]!;
        if (cur === tok) continue;
        let vals = c.values?.[i];
        if (vals === undefined && !cur.includes(WILDCARD) && !tok.includes(WILDCARD)) {
          // a constant word turns variable: start counting the values seen at this position
          (c.values ??= [])[i] = vals = new Map([[cur, c.count]]);
        }
        if (vals) {
          vals.set(tok, (vals.get(tok) ?? 0) + 1);
          if (vals.size > this.options.maxSplitValues) c.values![i] = null;
        }
        if (cur !== WILDCARD) ct[i] = generalize(cur, tok);
      }
    } else {
      c = this.create(tokens, ts, message);
    }
    c.count++;
    c.firstMs = Math.min(c.firstMs, ts);
    if (ts >= c.lastMs) {
      c.lastMs = ts;
      c.lastRaw = message;
    }
    bump(c.levels, level);
    const b = Math.floor(ts / this.options.bucketMs) * this.options.bucketMs;
    let bucket = c.buckets.get(b);
    if (!bucket) c.buckets.set(b, (bucket = { first: ts, levels: {} }));
    bucket.first = Math.min(bucket.first, ts);
    bump(bucket.levels, level);
    return c.id;
  }

  /** The template a message would join, without changing anything. */
  match(message: string): string | undefined {
    return this.search(maskTokens(message))?.id;
  }

  /**
   * The template of one message within its template, refined: a position whose constant word varied among only a
   * few values keeps the message's own word (`… proxy <*> HTTPS` and `… proxy <*> SOCKS5` stay apart, while user
   * names that take many values become `<*>`). For per-record output after (or during) a stream.
   */
  templateFor(id: string, message: string): string {
    const c = this.clusters.get(id);
    if (!c) return '';
    if (!c.values) return c.tokens.join(' ');
    const tokens = maskTokens(message);
    if (tokens.length !== c.tokens.length) return c.tokens.join(' ');
    return c.tokens.map((t, i) => (c.values![i] ? tokens[i]! : t)).join(' ');
  }

  get(id: string): TemplateInfo | undefined {
    const c = this.clusters.get(id);
    return c && info(c);
  }

  templates(): TemplateInfo[] {
    return [...this.clusters.values()].map(info);
  }

  /** Per-bucket counts of one template, oldest first: [bucketStartMs, count]. */
  buckets(id: string): [number, number][] {
    const c = this.clusters.get(id);
    if (!c) return [];
    return [...c.buckets.entries()].sort((a, b) => a[0] - b[0]).map(([b, v]) => [b, sum(v.levels)]);
  }

  /** Counts per template and level over buckets whose midpoint lies in [fromMs, toMs). */
  window(fromMs: number, toMs: number): TemplateWindowStats {
    const half = this.options.bucketMs / 2;
    const out: TemplateWindowStats = { fromMs, toMs, total: 0, levels: {}, templates: {} };
    for (const c of this.clusters.values()) {
      let e: TemplateWindowEntry | undefined;
      for (const [b, v] of c.buckets) {
        if (b + half < fromMs || b + half >= toMs) continue;
        e ??= { id: c.id, template: c.tokens.join(' '), count: 0, levels: {}, firstMs: Infinity, sample: info(c).lastSample };
        for (const [lvl, n] of Object.entries(v.levels) as [LogLevel, number][]) {
          bump(e.levels, lvl, n);
          bump(out.levels, lvl, n);
          e.count += n;
          out.total += n;
        }
        e.firstMs = Math.min(e.firstMs, v.first);
      }
      if (e) out.templates[c.id] = e;
    }
    return out;
  }

  toJSON(): TemplateMinerState {
    return {
      version: 1,
      options: { ...this.options },
      templates: [...this.clusters.values()].map((c) => ({
        ...info(c),
        tokens: [...c.tokens],
        path: [...c.path],
        buckets: [...c.buckets.entries()].map(([b, v]) => [b, v.first, { ...v.levels }] as [number, number, LevelCounts]),
        ...(c.values ? { values: c.tokens.map((_, i) => { const v = c.values![i]; return v === undefined ? 0 : v && [...v]; }) } : {}),
      })),
    };
  }

  static fromJSON(state: TemplateMinerState): TemplateMiner {
    if (state.version !== 1) throw new Error(`unsupported template miner state version ${String(state.version)}`);
    const m = new TemplateMiner(state.options);
    for (const t of state.templates) {
      const c: Cluster = {
        id: t.id,
        tokens: [...t.tokens],
        path: [...t.path],
        count: t.count,
        firstMs: t.firstMs,
        lastMs: t.lastMs,
        sample: t.sample,
        lastSample: t.lastSample,
        levels: { ...t.levels },
        buckets: new Map(t.buckets.map(([b, first, levels]) => [b, { first, levels: { ...levels } }])),
        ...(t.values ? { values: t.values.map((v) => (v === 0 ? undefined : v && new Map(v))) } : {}),
      };
      m.clusters.set(c.id, c);
      m.leaf(c.tokens.length, c.path).clusters.push(c);
    }
    return m;
  }

  private routeKey(tok: string): string {
    for (let i = 0; i < tok.length; i++) {
      const ch = tok.charCodeAt(i);
      if (ch >= 48 && ch <= 57) return WILDCARD;
    }
    return tok.includes(WILDCARD) ? WILDCARD : tok;
  }

  private search(tokens: string[]): Cluster | undefined {
    let node = this.root.get(tokens.length);
    const routeLen = Math.min(tokens.length, this.options.depth - 2);
    for (let i = 0; i < routeLen && node; i++) {
      node = node.children.get(this.routeKey(tokens[i]!)) ?? node.children.get(WILDCARD);
    }
    if (!node) return undefined;
    let best: Cluster | undefined;
    let bestSim = -1;
    let bestParams = -1;
    for (const c of node.clusters) {
      // similarity on the template's constant tokens: a position counts when the message has the same token there
      // or, for a wildcard position, any token the wildcard accepts
      let eq = 0;
      let params = 0;
      const ct = c.tokens;
      for (let i = 0; i < tokens.length; i++) {
        const a = ct[i]!;
        const b = tokens[i]!;
        if (a === b) {
          if (a === WILDCARD) params++;
          else eq++;
        } else if (a === WILDCARD || accepts(a, b)) params++;
      }
      const sim = (eq + params * this.options.paramWeight) / tokens.length;
      if (sim > bestSim || (sim === bestSim && params > bestParams)) {
        bestSim = sim;
        bestParams = params;
        best = c;
      }
    }
    return bestSim >= this.options.similarity ? best : undefined;
  }

  private create(tokens: string[], ts: number, message: string): Cluster {
    const routeLen = Math.min(tokens.length, this.options.depth - 2);
    let node = this.lengthNode(tokens.length);
    const path: string[] = [];
    for (let i = 0; i < routeLen; i++) {
      let key = this.routeKey(tokens[i]!);
      if (!node.children.has(key) && node.children.size >= this.options.maxChildren - 1) key = WILDCARD;
      path.push(key);
      node = child(node, key);
    }
    let id = `t${fnv1a(tokens.join(' '))}`;
    for (let n = 2; this.clusters.has(id); n++) id = `t${fnv1a(tokens.join(' '))}-${n}`;
    const sample = redact(message);
    const c: Cluster = {
      id, tokens: [...tokens], path, count: 0, firstMs: ts, lastMs: ts, sample, lastSample: sample, levels: {}, buckets: new Map(),
    };
    this.clusters.set(id, c);
    node.clusters.push(c);
    return c;
  }

  private lengthNode(len: number): Node {
    let n = this.root.get(len);
    if (!n) this.root.set(len, (n = { children: new Map(), clusters: [] }));
    return n;
  }

  private leaf(len: number, path: string[]): Node {
    let node = this.lengthNode(len);
    for (const k of path) node = child(node, k);
    return node;
  }
}

/** Whether a token with masks (`user=<*>`) accepts a token: same text before the first and after the last mask. */
function accepts(pattern: string, tok: string): boolean {
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

function child(node: Node, key: string): Node {
  let c = node.children.get(key);
  if (!c) node.children.set(key, (c = { children: new Map(), clusters: [] }));
  return c;
}

function info(c: Cluster): TemplateInfo {
  if (c.lastRaw !== undefined) {
    c.lastSample = redact(c.lastRaw);
    c.lastRaw = undefined;
  }
  return {
    id: c.id,
    template: c.tokens.join(' '),
    count: c.count,
    firstMs: c.firstMs,
    lastMs: c.lastMs,
    sample: c.sample,
    lastSample: c.lastSample,
    levels: { ...c.levels },
  };
}

export { compareTemplates, dominantLevel } from './template-compare.js';
export type { CompareOptions, LevelBurst, TemplateChange, TemplateComparison } from './template-compare.js';
