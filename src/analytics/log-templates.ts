import type { LogLevel } from '../model/telemetry.js';
import { redact } from '../redaction/redact.js';
import { accepts, generalize } from './log-generalize.js';
import { WILDCARD, maskTokens } from './log-masking.js';

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
  /** the bucket of the latest add(), so a stream within one bucket skips the map lookup */
  lastBucketAt?: number;
  lastBucket?: Bucket;
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
  /** whether the cluster that the latest search() found has exactly the message's tokens */
  private sameTokens = false;

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
    const created = !c;
    if (c && !this.sameTokens) {
      // a message that has the template's very tokens changes nothing in it
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
    } else if (!c) {
      c = this.create(tokens, ts, message);
    }
    c.count++;
    c.firstMs = Math.min(c.firstMs, ts);
    if (ts >= c.lastMs) {
      c.lastMs = ts;
      // a new template's lastSample is already this message redacted
      c.lastRaw = created ? undefined : message;
    }
    bump(c.levels, level);
    const b = Math.floor(ts / this.options.bucketMs) * this.options.bucketMs;
    let bucket = c.lastBucketAt === b ? c.lastBucket : c.buckets.get(b);
    if (!bucket) c.buckets.set(b, (bucket = { first: ts, levels: {} }));
    c.lastBucketAt = b;
    c.lastBucket = bucket;
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
    let bestSame = false;
    for (const c of node.clusters) {
      // similarity on the template's constant tokens: a position counts when the message has the same token there
      // or, for a wildcard position, any token the wildcard accepts
      let eq = 0;
      let params = 0;
      let same = 0;
      const ct = c.tokens;
      for (let i = 0; i < tokens.length; i++) {
        const a = ct[i]!;
        const b = tokens[i]!;
        if (a === b) {
          same++;
          if (a === WILDCARD) params++;
          else eq++;
        } else if (a === WILDCARD || accepts(a, b)) params++;
      }
      const sim = (eq + params * this.options.paramWeight) / tokens.length;
      if (sim > bestSim || (sim === bestSim && params > bestParams)) {
        bestSim = sim;
        bestParams = params;
        best = c;
        bestSame = same === tokens.length;
      }
    }
    this.sameTokens = bestSame;
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
      id, tokens: [...tokens], path, count: 0, firstMs: ts, lastMs: ts, sample, lastSample: sample, lastRaw: undefined, levels: {},
      buckets: new Map(), lastBucketAt: NaN, lastBucket: undefined,
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

export { generalize } from './log-generalize.js';
export { WILDCARD, isVariablePiece, maskMessage, maskToken, maskTokens, tokenize } from './log-masking.js';
