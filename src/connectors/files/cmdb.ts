import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CmdbSchema, type Cmdb } from '../../model/telemetry.js';
import { DataSourceError, type CmdbSource } from '../types.js';
import { ParsedFileCache, type Parsed } from './cache.js';

function toMs(v: unknown): unknown {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : v;
  }
  return v;
}

/** Parses cmdb.yaml into a validated Cmdb (change timestamps ISO → epoch ms; absent lists → []). */
export function parseCmdbYaml(text: string, path = 'cmdb.yaml'): Parsed<Cmdb> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new DataSourceError('cmdb', path, 'invalid', (e as Error).message.split('\n')[0], { cause: e });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new DataSourceError('cmdb', path, 'invalid', 'not a YAML mapping');
  }
  const d = doc as Record<string, unknown>;
  const changes = Array.isArray(d['changes'])
    ? d['changes'].map((c: unknown) =>
        c && typeof c === 'object' ? { ...(c as Record<string, unknown>), ts: toMs((c as Record<string, unknown>)['ts']) } : c,
      )
    : [];
  const services = Array.isArray(d['services'])
    ? d['services'].map((s: unknown) =>
        s && typeof s === 'object'
          ? { hosts: [], dependsOn: [], ...(s as Record<string, unknown>) }
          : s,
      )
    : [];
  const res = CmdbSchema.safeParse({ services, hosts: d['hosts'] ?? [], changes });
  if (!res.success) {
    const first = res.error.issues[0];
    const detail = first ? `${first.path.join('.')}: ${first.message}` : 'schema mismatch';
    throw new DataSourceError('cmdb', path, 'invalid', detail, { cause: res.error });
  }
  const cmdb = res.data;
  cmdb.changes.sort((a, b) => a.ts - b.ts);
  return { value: cmdb, records: cmdb.services.length + cmdb.hosts.length + cmdb.changes.length, skipped: 0 };
}

export class FileCmdbSource implements CmdbSource {
  private readonly cache = new ParsedFileCache<Cmdb>('cmdb', (t, p) => parseCmdbYaml(t, p));
  readonly path: string;
  constructor(dir: string) {
    this.path = join(dir, 'cmdb.yaml');
  }
  async snapshot(): Promise<Cmdb> {
    return structuredClone(await this.cache.get(this.path));
  }
}
