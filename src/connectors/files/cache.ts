import { readFile, stat } from 'node:fs/promises';
import { DataSourceError, type DataSourceKind } from '../types.js';

/** The result of parsing one file: a value plus how many records were read and how many lines were skipped. */
export interface Parsed<T> {
  value: T;
  records: number;
  skipped: number;
}

interface Entry<T> {
  key: string;
  parsed: Parsed<T>;
}

/** Turns a filesystem error into a DataSourceError naming the file. */
export function toSourceError(source: DataSourceKind, path: string, e: unknown): DataSourceError {
  if (e instanceof DataSourceError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable';
  return new DataSourceError(source, path, reason, code, { cause: e });
}

/**
 * Caches a parsed file by mtime+size: a file that is appended to (or rewritten) is parsed again on the next read,
 * an unchanged file is parsed once.
 */
export class ParsedFileCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  constructor(
    private readonly source: DataSourceKind,
    private readonly parse: (text: string, path: string) => Parsed<T>,
  ) {}

  async get(path: string): Promise<T> {
    let key: string;
    try {
      const st = await stat(path);
      if (!st.isFile()) throw new DataSourceError(this.source, path, 'unreadable', 'not a regular file');
      key = `${st.mtimeMs}:${st.size}`;
    } catch (e) {
      this.entries.delete(path);
      throw toSourceError(this.source, path, e);
    }
    const hit = this.entries.get(path);
    if (hit && hit.key === key) return hit.parsed.value;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      this.entries.delete(path);
      throw toSourceError(this.source, path, e);
    }
    const parsed = this.parse(text, path);
    this.entries.set(path, { key, parsed });
    return parsed.value;
  }

  diagnostics(): { path: string; records: number; skipped: number }[] {
    return [...this.entries.entries()].map(([path, e]) => ({ path, records: e.parsed.records, skipped: e.parsed.skipped }));
  }
}

/** Splits text into lines, tolerating CRLF; drops blank lines. */
export function lines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim().length > 0);
}

/** First index in a ts-sorted array with `ts >= t`. */
export function lowerBound<T>(xs: readonly T[], t: number, ts: (x: T) => number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts(xs[mid]!) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
