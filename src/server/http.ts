import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { MetricsRegistry } from './metrics.js';

/**
 * The one HTTP server of `serve`: health, readiness and metrics for the platform, plus the routes adapters mount
 * (Slack's events today; alert webhooks and OTLP later). No request, however malformed, can stop the process:
 * unknown paths get 404, wrong methods 405, bodies over the limit 413, a route's exception 500, and what Node's parser
 * rejects gets 400 from the 'clientError' handler.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRoute {
  method: HttpMethod;
  /** an exact path, e.g. /slack/events */
  path: string;
  /** Fetch API in and out, so routes do not depend on the framework; a thrown error becomes a 500 */
  handle: (request: Request) => Response | Promise<Response>;
  /** the largest body this route accepts, in bytes (default: the server's) */
  maxBodyBytes?: number;
}

export type Readiness = { ready: true } | { ready: false; reason: string };

export interface HttpServerOptions {
  /** 0: an ephemeral port (see `port` on the result) */
  port: number;
  host: string;
  /** reported by /healthz */
  version: string;
  routes?: HttpRoute[];
  /** /readyz: 200 when this says ready, else 503 with its reason; default always ready */
  ready?: () => Readiness | Promise<Readiness>;
  /** /metrics renders it; every answered request is counted in it */
  metrics?: MetricsRegistry;
  log?: (line: string) => void;
  /** default body limit of routes (default 1 MiB) */
  maxBodyBytes?: number;
}

export interface HttpServer {
  readonly port: number;
  /** where it listens, e.g. http://127.0.0.1:3000 */
  readonly url: string;
  /** stops accepting, lets in-flight requests finish for up to `graceMs` (default 5 s), then drops what is left */
  close(graceMs?: number): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const UNMATCHED = 'unmatched';

/** The Hono app alone, for tests that call `app.request()`; `createHttpServer` serves it. */
export function createHttpApp(opts: Omit<HttpServerOptions, 'port' | 'host'>): Hono {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const builtIn: HttpRoute[] = [
    { method: 'GET', path: '/healthz', handle: () => Response.json({ status: 'ok', version: opts.version, uptimeSeconds: Math.floor(process.uptime()) }) },
    { method: 'GET', path: '/readyz', handle: () => readyz(opts.ready) },
    { method: 'GET', path: '/metrics', handle: () => metricsText(opts.metrics) },
  ];
  const routes = [...builtIn, ...(opts.routes ?? [])];
  const methodsByPath = new Map<string, Set<string>>();
  for (const r of routes) {
    const methods = methodsByPath.get(r.path) ?? new Set<string>();
    if (methods.has(r.method)) throw new Error(`two HTTP routes for ${r.method} ${r.path}`);
    methodsByPath.set(r.path, methods.add(r.method));
  }

  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    const path = c.req.path;
    opts.metrics?.httpRequest(methodsByPath.has(path) ? path : UNMATCHED, c.res.status);
  });
  for (const r of routes) {
    app.on(r.method, r.path, async (c) => {
      const request = await bufferBody(c.req.raw, r.maxBodyBytes ?? maxBodyBytes);
      return request instanceof Response ? request : r.handle(request);
    });
  }
  for (const [path, methods] of methodsByPath) {
    const allow = allowHeader(methods);
    app.options(path, (c) => c.body(null, 204, { allow }));
    app.all(path, (c) => c.text(`${c.req.method} is not allowed on ${path}; use ${allow}`, 405, { allow }));
  }
  app.notFound((c) => c.text(`nothing at ${truncate(c.req.path)}`, 404));
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    log(`http: ${c.req.method} ${truncate(c.req.path)} failed: ${err.message}`);
    return c.text('internal error', 500);
  });
  return app;
}

/** Starts the server and resolves once it listens (rejects on e.g. EADDRINUSE). */
export async function createHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const app = createHttpApp({ ...opts, log });
  // the process's global Request/Response stay Node's own: other libraries in this process use them
  const listener = getRequestListener(app.fetch, { overrideGlobalObjects: false });
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    listener(req, res).catch((err: unknown) => {
      log(`http: ${req.method} ${truncate(req.url ?? '')} failed while answering: ${(err as Error)?.message ?? String(err)}`);
      lastResort(res);
    });
  });
  // a client that trickles its headers or body must not hold a connection for Node's default five minutes
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
  // what Node's HTTP parser rejects (bad method, header, Content-Length…) never reaches Hono: answer and hang up
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log(`http: server error: ${err.message}`));
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | null = null;
  return {
    port: address.port,
    url: `http://${host}:${address.port}`,
    close(graceMs = 5000) {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/**
 * The request with its body read into memory, or a 413 once it passes `maxBytes` (declared or counted: a chunked body
 * has no Content-Length). Routes then read a body that is whole and bounded.
 */
async function bufferBody(raw: Request, maxBytes: number): Promise<Request | Response> {
  if (!raw.body) return raw;
  const tooLarge = () =>
    new Response(`the body is larger than ${maxBytes} bytes\n`, { status: 413, headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' } });
  const declared = raw.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) return tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = raw.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        reader.cancel().catch(() => undefined);
        return tooLarge();
      }
      chunks.push(value);
    }
  } catch {
    return new Response('the request body could not be read\n', { status: 400, headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' } });
  }
  return new Request(raw.url, { method: raw.method, headers: raw.headers, body: Buffer.concat(chunks) });
}

async function readyz(ready: HttpServerOptions['ready']): Promise<Response> {
  let state: Readiness;
  try {
    state = ready ? await ready() : { ready: true };
  } catch (err) {
    state = { ready: false, reason: `the readiness check failed: ${(err as Error).message}` };
  }
  return state.ready ? Response.json({ status: 'ready' }) : Response.json({ status: 'not ready', reason: state.reason }, { status: 503 });
}

async function metricsText(registry: MetricsRegistry | undefined): Promise<Response> {
  if (!registry) return new Response('metrics are not enabled\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  return new Response(await registry.render(), { headers: { 'content-type': registry.contentType } });
}

function allowHeader(methods: Set<string>): string {
  const all = new Set(methods);
  if (all.has('GET')) all.add('HEAD');
  all.add('OPTIONS');
  return [...all].join(', ');
}

function lastResort(res: ServerResponse): void {
  try {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    res.end();
  } catch {
    res.destroy();
  }
}

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
