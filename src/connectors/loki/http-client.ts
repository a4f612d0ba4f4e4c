import type { z } from 'zod';
import { DataSourceError, type DataSourceKind } from '../types.js';

/**
 * A small JSON-over-HTTP client shared by the Loki, Jaeger and Tempo connectors: one timeout per request, optional
 * auth and tenant headers, zod validation of every body, and DataSourceError for every failure (dead server, HTTP
 * error status with the server's own error text, a body that is not what the product documents). Secrets never reach
 * an error message: neither the configured token/password nor credentials embedded in the URL.
 */
export interface HttpSourceOptions {
  /** base URL of the server, e.g. http://loki:3100 (a path prefix is kept) */
  url: string;
  /** per-request timeout; default 15 s */
  timeoutMs?: number;
  /** sent as `Authorization: Bearer <token>` */
  bearerToken?: string;
  /** `user:password`, sent as HTTP basic auth (ignored when bearerToken is set) */
  basicAuth?: string;
  /** multi-tenant Loki/Tempo: sent as X-Scope-OrgID */
  tenantId?: string;
}

export const DEFAULT_HTTP_TIMEOUT_MS = 15_000;
/** how much of an error body goes into the message: enough for Loki's parse errors, never a whole HTML page */
const MAX_ERROR_TEXT = 300;

type QueryValue = string | number | undefined;

export class HttpJsonClient {
  private readonly base: URL;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private readonly secrets: string[];

  constructor(
    private readonly source: DataSourceKind,
    opts: HttpSourceOptions,
  ) {
    if (!URL.canParse(opts.url)) throw new DataSourceError(source, '<url>', 'invalid', `not a URL: ${redactUrlText(opts.url)}`);
    this.base = new URL(opts.url.endsWith('/') ? opts.url : `${opts.url}/`);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
    this.headers = { accept: 'application/json' };
    this.secrets = [];
    if (this.base.username || this.base.password) {
      const user = decodeURIComponent(this.base.username);
      const pass = decodeURIComponent(this.base.password);
      this.headers['authorization'] = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
      if (pass) this.secrets.push(pass, Buffer.from(`${user}:${pass}`).toString('base64'));
      this.base.username = '';
      this.base.password = '';
    }
    if (opts.bearerToken) {
      this.headers['authorization'] = `Bearer ${opts.bearerToken}`;
      this.secrets.push(opts.bearerToken);
    } else if (opts.basicAuth) {
      this.headers['authorization'] = `Basic ${Buffer.from(opts.basicAuth).toString('base64')}`;
      const colon = opts.basicAuth.indexOf(':');
      this.secrets.push(colon >= 0 ? opts.basicAuth.slice(colon + 1) : opts.basicAuth, Buffer.from(opts.basicAuth).toString('base64'));
    }
    if (opts.tenantId) this.headers['x-scope-orgid'] = opts.tenantId;
  }

  /** The URL of an API path (relative to the base URL, so a path prefix survives) with its query. */
  url(apiPath: string, query: Record<string, QueryValue> = {}): URL {
    const u = new URL(apiPath.replace(/^\//, ''), this.base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u;
  }

  /**
   * GETs a JSON document and validates it. `notFound: 'null'` answers null for a 404 (a trace that is gone) instead
   * of throwing.
   */
  async get<T>(apiPath: string, query: Record<string, QueryValue>, schema: z.ZodType<T>): Promise<T>;
  async get<T>(apiPath: string, query: Record<string, QueryValue>, schema: z.ZodType<T>, notFound: 'null'): Promise<T | null>;
  async get<T>(
    apiPath: string,
    query: Record<string, QueryValue>,
    schema: z.ZodType<T>,
    notFound?: 'null',
  ): Promise<T | null> {
    const target = this.url(apiPath, query);
    const where = this.describe(target);
    let res: Response;
    try {
      res = await fetch(target, { headers: this.headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw new DataSourceError(this.source, where, 'unreadable', this.scrub(transportProblem(e, this.timeoutMs)), { cause: e });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw new DataSourceError(this.source, where, 'unreadable', this.scrub(transportProblem(e, this.timeoutMs)), { cause: e });
    }
    if (res.status === 404 && notFound === 'null') return null;
    if (!res.ok) {
      const reason = res.status === 404 ? 'missing' : 'unreadable';
      throw new DataSourceError(this.source, where, reason, this.scrub(`HTTP ${res.status}: ${errorText(text, res.statusText)}`));
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new DataSourceError(this.source, where, 'invalid', this.scrub(`not JSON: ${clip(text)}`));
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const at = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
      throw new DataSourceError(this.source, where, 'invalid', `unexpected response${at}: ${first?.message ?? 'schema mismatch'}`);
    }
    return parsed.data;
  }

  /** origin + path only: the query may be long, and the path is what tells an operator which API failed */
  private describe(u: URL): string {
    return `${u.origin}${u.pathname}`;
  }

  private scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) if (s.length > 0) out = out.split(s).join('[REDACTED]');
    return out;
  }
}

function transportProblem(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const code = err?.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host not found (${code})`;
  if (code) return `${code}: ${err.cause?.message ?? err.message ?? 'request failed'}`;
  return err?.message ?? String(e);
}

/** Loki answers errors as plain text, Jaeger as {errors:[{msg}]}, Tempo as text or {error}: show the words. */
function errorText(text: string, statusText: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return statusText || 'no error text';
  try {
    const body = JSON.parse(trimmed) as Record<string, unknown>;
    const errors = body['errors'];
    if (Array.isArray(errors) && errors.length > 0) {
      return clip(errors.map((x) => (x && typeof x === 'object' && 'msg' in x ? String(x.msg) : JSON.stringify(x))).join('; '));
    }
    for (const key of ['error', 'message', 'msg']) if (typeof body[key] === 'string') return clip(body[key]);
  } catch {
    // plain text: shown as is
  }
  return clip(trimmed);
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_ERROR_TEXT ? `${oneLine.slice(0, MAX_ERROR_TEXT)}…` : oneLine;
}

function redactUrlText(url: string): string {
  return url.replace(/\/\/[^/@\s]*@/, '//[REDACTED]@');
}

/** Runs `work` over items with at most `limit` in flight, keeping the input order in the result. */
export async function mapBounded<I, O>(items: readonly I[], limit: number, work: (item: I) => Promise<O>): Promise<O[]> {
  const out = new Array<O>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}
