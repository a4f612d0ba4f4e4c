import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from './helpers.js';

const SECRET = 'serve-process-secret';

/** The least of slack.com/api that serve needs to start: auth.test, and `ok` for every other method. */
async function startSlackStandIn() {
  const calls: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const method = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/api\//, '');
      calls.push(method);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(method === 'auth.test' ? { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1', user: 'sre-copilot' } : { ok: true, ts: '1700000000.000001' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function signed(body: string): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000);
  return { 'x-slack-signature': `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`, 'x-slack-request-timestamp': String(ts) };
}

let slackApi: Awaited<ReturnType<typeof startSlackStandIn>>;
let child: ChildProcess;
let stderr = '';
let exitCode: number | null | undefined;
let base = '';

/** Resolves with the first match of `pattern` in serve's stderr (rejects if serve exits first). */
function waitForStderr(pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = pattern.exec(stderr);
      if (m) {
        child.stderr!.off('data', check);
        child.off('exit', onExit);
        resolve(m);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`serve exited (${code}) before printing ${pattern}: ${stderr}`));
    child.stderr!.on('data', check);
    child.once('exit', onExit);
    check();
  });
}

beforeAll(async () => {
  slackApi = await startSlackStandIn();
  const home = (await testConfig()).home;
  const bin = fileURLToPath(new URL('../bin/sre-copilot', import.meta.url));
  const env = {
    ...process.env,
    SRE_COPILOT_HOME: home,
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slackApi.url,
    SLACK_APPROVERS: 'UALICE',
    PORT: '0',
    HOST: '127.0.0.1',
    LLM_PROVIDER: 'none',
  };
  child = spawn(bin, ['serve', '--seed', '5'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('exit', (code) => (exitCode = code));
}, 120_000);

afterAll(async () => {
  if (child && exitCode === undefined) child.kill('SIGKILL');
  await slackApi?.close();
});

describe('bin/sre-copilot serve as a process', () => {
  it('listens before the runtime is built, says where, and answers /healthz at once', async () => {
    const [, url] = await waitForStderr(/http: listening on (http:\/\/127\.0\.0\.1:\d+) \(healthz, readyz, metrics, slack\/events\)/);
    base = url!;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', version: expect.any(String) });
    const ready = await fetch(`${base}/readyz`);
    // either still starting (503 with the reason) or already up
    if (ready.status === 503) expect(await ready.json()).toEqual({ status: 'not ready', reason: 'starting' });
    else expect(ready.status).toBe(200);
  }, 120_000);

  it('is ready once the adapters run', async () => {
    await waitForStderr(/sre-copilot serve — reading the scenario world/);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(slackApi.calls).toContain('auth.test');
  }, 120_000);

  it('survives stray requests that used to kill it: GET /, GET /health, HEAD and OPTIONS /slack/events, a signed null body', async () => {
    const stray: [string, RequestInit, number][] = [
      ['/', {}, 404],
      ['/health', {}, 404],
      ['/slack/events', { method: 'HEAD' }, 405],
      ['/slack/events', { method: 'OPTIONS' }, 204],
      ['/slack/events', { method: 'GET' }, 405],
      ['/slack/events', { method: 'POST', body: 'null', headers: { 'content-type': 'application/json', ...signed('null') } }, 400],
      ['/slack/events', { method: 'POST', body: 'payload=null', headers: { 'content-type': 'application/x-www-form-urlencoded', ...signed('payload=null') } }, 400],
      ['/slack/events', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }, 401],
    ];
    for (const [path, init, status] of stray) {
      const res = await fetch(`${base}${path}`, init);
      expect([init.method ?? 'GET', path, res.status]).toEqual([init.method ?? 'GET', path, status]);
      await res.arrayBuffer();
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    }
    expect(exitCode).toBeUndefined();
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^sre_copilot_http_requests_total\{route="\/slack\/events",status="400"\} 2$/m);
  }, 120_000);

  it('shuts down cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/SIGTERM, shutting down/);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  }, 120_000);
});
