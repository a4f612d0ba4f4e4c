import { readFile, stat } from 'node:fs/promises';
import type { Cmdb } from '../../model/telemetry.js';
import { parseCmdbYaml } from '../files/cmdb.js';
import { DataSourceError, type CmdbSource } from '../types.js';

/**
 * A curated CMDB (SRE_COPILOT_CMDB): a YAML or JSON document in the format of docs/telemetry-format.md (services with
 * owner, tier, hosts, dependsOn; hosts; changes), read from a file or fetched from an http(s) URL — a CMDB export, a
 * service catalogue endpoint. The runtime lists it before the discovered topology, so what it says about a service wins
 * and the dependencies found in traces and metrics add to it.
 *
 * A file is re-read when it changes (by mtime and size); a URL is fetched at most once per `refreshMs` and, when the
 * fetch fails, the last good copy keeps answering (an unreachable catalogue must not erase the topology mid-incident)
 * while the failure is still reported once through the error of the first read that had no copy.
 */
export interface CmdbSourceOptions {
  /** an absolute file path, or an http(s) URL */
  location: string;
  refreshMs?: number;
  timeoutMs?: number;
  /** largest document accepted */
  maxBytes?: number;
  fetch?: typeof fetch;
}

const DEFAULT_REFRESH_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

export function createCmdbSource(opts: CmdbSourceOptions): CmdbSource & { readonly location: string } {
  return /^https?:\/\//i.test(opts.location) ? new UrlCmdbSource(opts) : new PathCmdbSource(opts.location, opts.maxBytes ?? DEFAULT_MAX_BYTES);
}

class PathCmdbSource implements CmdbSource {
  private cached: { key: string; cmdb: Cmdb } | null = null;
  constructor(
    readonly location: string,
    private readonly maxBytes: number,
  ) {}

  async snapshot(): Promise<Cmdb> {
    let key: string;
    try {
      const s = await stat(this.location);
      if (s.size > this.maxBytes) throw new DataSourceError('cmdb', this.location, 'invalid', `${s.size} bytes, more than ${this.maxBytes}`);
      key = `${s.mtimeMs}:${s.size}`;
    } catch (err) {
      if (err instanceof DataSourceError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new DataSourceError('cmdb', this.location, code === 'ENOENT' ? 'missing' : 'unreadable', code, { cause: err });
    }
    if (this.cached?.key !== key) {
      const text = await readFile(this.location, 'utf8').catch((err: unknown) => {
        throw new DataSourceError('cmdb', this.location, 'unreadable', (err as NodeJS.ErrnoException).code, { cause: err });
      });
      this.cached = { key, cmdb: parseCmdbYaml(text, this.location).value };
    }
    return structuredClone(this.cached.cmdb);
  }
}

class UrlCmdbSource implements CmdbSource {
  readonly location: string;
  private last: { at: number; cmdb: Cmdb } | null = null;
  private inFlight: Promise<Cmdb> | null = null;
  private readonly refreshMs: number;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly doFetch: typeof fetch;

  constructor(opts: CmdbSourceOptions) {
    this.location = opts.location;
    this.refreshMs = opts.refreshMs ?? DEFAULT_REFRESH_MS;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.doFetch = opts.fetch ?? fetch;
  }

  async snapshot(): Promise<Cmdb> {
    if (this.last && Date.now() - this.last.at < this.refreshMs) return structuredClone(this.last.cmdb);
    this.inFlight ??= this.load().finally(() => (this.inFlight = null));
    try {
      return structuredClone(await this.inFlight);
    } catch (err) {
      if (this.last) return structuredClone(this.last.cmdb);
      throw err;
    }
  }

  private async load(): Promise<Cmdb> {
    let res: Response;
    try {
      res = await this.doFetch(this.location, { headers: { accept: 'application/json, application/yaml, text/yaml' }, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code;
      throw new DataSourceError('cmdb', this.location, 'unreadable', code ?? ((err as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (err as Error).message), { cause: err });
    }
    if (!res.ok) throw new DataSourceError('cmdb', this.location, 'unreadable', `HTTP ${res.status}`);
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > this.maxBytes) throw new DataSourceError('cmdb', this.location, 'invalid', `${declared} bytes, more than ${this.maxBytes}`);
    const text = await res.text();
    if (Buffer.byteLength(text) > this.maxBytes) throw new DataSourceError('cmdb', this.location, 'invalid', `more than ${this.maxBytes} bytes`);
    // YAML is a superset of JSON: one parser (and one validation) serves both
    const cmdb = parseCmdbYaml(text, this.location).value;
    this.last = { at: Date.now(), cmdb };
    return cmdb;
  }
}
