import type { LogLevel } from '../model/telemetry.js';
import { redact } from '../redaction/redact.js';

/**
 * Drain-style streaming log template miner (He et al., 2017): messages are masked (numbers, ids, IPs, paths,
 * durations, quoted values → `<*>`), routed through a fixed-depth tree keyed by token count and first tokens, and
 * merged into the most similar template of the leaf when similarity ≥ threshold. Counts are kept per time bucket
 * and level so windows can be compared.
 */
export const WILDCARD = '<*>';

const MASKS: [RegExp, string | ((m: string) => string)][] = [
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, WILDCARD], // URLs
  [/"[^"]*"/g, WILDCARD], // quoted values
  [/(?<![A-Za-z])'[^'\s][^']*'(?![A-Za-z])/g, WILDCARD],
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g, WILDCARD], // timestamps
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, WILDCARD], // UUIDs
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g, WILDCARD], // IPv4[:port]
  [/\b0x[0-9a-f]+\b/gi, WILDCARD],
  [/\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/gi, WILDCARD], // hex ids
  [/\b(?=(?:[A-Za-z]*\d){2})(?=\d*[A-Za-z])[A-Za-z0-9]{8,}\b/g, WILDCARD], // random alphanumeric ids
  [
    // file paths and deep routes; short routes such as /api/cart stay readable
    /(?<![\w.:/<>])(?:\/[\w.\-@%~]+){1,}\/?/g,
    (m) => (m.split('/').filter(Boolean).length >= 3 || /\.[A-Za-z0-9]{1,5}$/.test(m) ? WILDCARD : m),
  ],
  [/(?<![A-Za-z\d])\d+(?:\.\d+)?\s?(?:ms|us|µs|ns|s|sec|secs|seconds|min|mins|minutes|h|hours)(?![A-Za-z\d])/gi, WILDCARD],
  [/(?<![A-Za-z\d])\d+(?:\.\d+)?\s?(?:[KMGT]i?B|bytes)(?![A-Za-z\d])/g, WILDCARD],
  [/(?<![A-Za-z\d])[-+]?\d+(?:[.,]\d+)*(?![A-Za-z\d])/g, WILDCARD], // numbers
];

/** Replaces variable parts of a message with `<*>`. */
export function maskMessage(message: string): string {
  let s = message;
  for (const [re, rep] of MASKS) s = s.replace(re, rep as string);
  return s;
}

export function tokenize(masked: string): string[] {
  const t = masked.split(/\s+/).filter(Boolean);
  return t.length ? t : ['<empty>'];
}

export interface MinerOptions {
  /** tree depth including the root and length layers (default 4 → 2 first tokens route) */
  depth?: number;
  /** share of equal tokens needed to join a template (default 0.5) */
  similarity?: number;
  /** children per tree node before overflowing into `<*>` (default 100) */
  maxChildren?: number;
  /** count bucket width (default 60 000 ms) */
  bucketMs?: number;
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
  levels: LevelCounts;
  buckets: Map<number, Bucket>;
}
interface Node {
  children: Map<string, Node>;
  clusters: string[];
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
  templates: (Omit<TemplateInfo, 'template'> & { tokens: string[]; path: string[]; buckets: [number, number, LevelCounts][] })[];
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

const hasDigit = (s: string): boolean => /\d/.test(s);
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
      similarity: options.similarity ?? 0.5,
      maxChildren: Math.max(2, options.maxChildren ?? 100),
      bucketMs: options.bucketMs ?? 60_000,
    };
  }

  get size(): number {
    return this.clusters.size;
  }

  /** Adds one message; returns the id of the template it joined or created. */
  add(message: string, ts = 0, level: LogLevel = 'INFO'): string {
    const tokens = tokenize(maskMessage(message));
    let c = this.search(tokens);
    if (c) {
      for (let i = 0; i < tokens.length; i++) if (c.tokens[i] !== tokens[i]) c.tokens[i] = WILDCARD;
    } else {
      c = this.create(tokens, ts, message);
    }
    c.count++;
    c.firstMs = Math.min(c.firstMs, ts);
    if (ts >= c.lastMs) {
      c.lastMs = ts;
      c.lastSample = redact(message);
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
    return this.search(tokenize(maskMessage(message)))?.id;
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
        e ??= { id: c.id, template: c.tokens.join(' '), count: 0, levels: {}, firstMs: Infinity, sample: c.lastSample };
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
      };
      m.clusters.set(c.id, c);
      m.leaf(c.tokens.length, c.path).clusters.push(c.id);
    }
    return m;
  }

  private routeKey(tok: string): string {
    return hasDigit(tok) ? WILDCARD : tok;
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
    for (const id of node.clusters) {
      const c = this.clusters.get(id)!;
      let eq = 0;
      for (let i = 0; i < tokens.length; i++) if (c.tokens[i] === tokens[i]) eq++;
      const sim = eq / tokens.length;
      if (sim > bestSim) {
        bestSim = sim;
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
    node.clusters.push(id);
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
