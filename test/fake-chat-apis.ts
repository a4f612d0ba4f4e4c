import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Minimal local stand-ins for Slack's Web API and Discord's REST API that keep every request body as the platform
 * would read it (form fields decoded, JSON and multipart as sent), so tests can assert on what leaves the process.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  /** the body as text: URL-encoded forms decoded to `name=value` lines, anything else verbatim */
  text: string;
  /** the JSON the platform reads (a form's fields, a JSON body, a multipart payload_json); null for files */
  json: Record<string, unknown> | null;
}

export interface FakeChatApi {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

function record(req: http.IncomingMessage, raw: string): RecordedRequest {
  const type = req.headers['content-type'] ?? '';
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (type.includes('application/x-www-form-urlencoded')) {
    const form = [...new URLSearchParams(raw)];
    const json = Object.fromEntries(form.map(([k, v]) => [k, /^[[{]/.test(v) ? (JSON.parse(v) as unknown) : v]));
    return { method: req.method ?? '', path, text: form.map(([k, v]) => `${k}=${v}`).join('\n'), json };
  }
  if (type.includes('json')) return { method: req.method ?? '', path, text: raw, json: raw ? (JSON.parse(raw) as Record<string, unknown>) : null };
  const payload = /name="payload_json"(?:\r\nContent-Type: [^\r]*)?\r\n\r\n([\s\S]*?)\r\n--/.exec(raw)?.[1];
  return { method: req.method ?? '', path, text: raw, json: payload ? (JSON.parse(payload) as Record<string, unknown>) : null };
}

async function serve(answer: (req: RecordedRequest, port: number) => unknown, prefix: string): Promise<FakeChatApi> {
  const requests: RecordedRequest[] = [];
  let seq = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = record(req, Buffer.concat(chunks).toString('utf8'));
      requests.push(recorded);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer(recorded, (server.address() as AddressInfo).port) ?? { ok: true, id: String(++seq) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Slack: chat.postMessage / chat.update answer with a fresh ts; file uploads go to a local upload URL. */
export function startFakeSlackApi(): Promise<FakeChatApi> {
  let ts = 0;
  return serve((req, port) => {
    const method = req.path.replace(/^\/api\//, '');
    const next = `1700000000.${String(++ts).padStart(6, '0')}`;
    if (method === 'chat.postMessage') return { ok: true, channel: req.json?.['channel'], ts: next };
    if (method === 'chat.update') return { ok: true, channel: req.json?.['channel'], ts: req.json?.['ts'] };
    if (method === 'files.getUploadURLExternal') return { ok: true, upload_url: `http://127.0.0.1:${port}/upload/F${ts}`, file_id: `F${ts}` };
    if (method === 'files.completeUploadExternal') return { ok: true, files: [{ id: 'F1' }] };
    return { ok: true };
  }, '/api/');
}

/** Discord: messages and threads answer with fresh snowflake-like ids. */
export function startFakeDiscordApi(): Promise<FakeChatApi> {
  let id = 1_300_000_000_000_000_000n;
  return serve(() => ({ id: String(++id) }), '/api');
}
