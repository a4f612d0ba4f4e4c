import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readSlackParams } from '../src/bench/slack-recorder.js';

export const SECRET = 'test-signing-secret';

export interface ApiCall {
  method: string;
  status: number;
  params: Record<string, unknown>;
  ts?: string;
}

/** A stand-in for slack.com/api: records every call and answers like Slack. */
export async function startFakeSlack() {
  const calls: ApiCall[] = [];
  let socketUrl = '';
  const rateLimitNext = new Map<string, number>();
  let seq = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname.startsWith('/upload/')) {
        calls.push({ method: 'upload', status: 200, params: { path: url.pathname, bytes: raw.length } });
        res.end('OK');
        return;
      }
      const method = url.pathname.replace(/^\/api\//, '');
      const params = readSlackParams(raw, req.headers['content-type'] ?? '');
      const limited = rateLimitNext.get(method) ?? 0;
      if (limited > 0) {
        rateLimitNext.set(method, limited - 1);
        calls.push({ method, status: 429, params });
        res.writeHead(429, { 'Retry-After': '1', 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      const ts = `1700000000.${String(++seq).padStart(6, '0')}`;
      calls.push({ method, status: 200, params, ts });
      const port = (server.address() as AddressInfo).port;
      const answers: Record<string, unknown> = {
        'auth.test': { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1', user: 'sre-copilot' },
        'chat.postMessage': { ok: true, channel: params.channel, ts, message: { ts } },
        'chat.update': { ok: true, channel: params.channel, ts: params.ts },
        'chat.postEphemeral': { ok: true, message_ts: ts },
        'usergroups.users.list': { ok: true, users: params.usergroup === 'SOPS' ? ['UBOB'] : [] },
        'files.getUploadURLExternal': { ok: true, upload_url: `http://127.0.0.1:${port}/upload/F${seq}`, file_id: `F${seq}` },
        'files.completeUploadExternal': { ok: true, files: [{ id: 'F1' }] },
        'apps.connections.open': { ok: true, url: socketUrl },
      };
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answers[method] ?? { ok: true }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, calls, rateLimitNext, setSocketUrl: (u: string) => (socketUrl = u), close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

/** Slack's request signature (v0) over `body` at `ts` (seconds). */
export function sign(body: string, ts = Math.floor(Date.now() / 1000), secret = SECRET) {
  const sig = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return { 'X-Slack-Signature': sig, 'X-Slack-Request-Timestamp': String(ts) };
}

