import { mkdtemp, readdir } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import type { PlanStep } from '../../model/remediation.js';
import { createExecutor } from './registry.js';
import { argvFromStep, createShellExecutor } from './shell.js';
import { createWebhookExecutor } from './webhook.js';

const step = (params: PlanStep['params']): PlanStep => ({ id: 'step-1', action: 'restart_service', target: 'api', params, description: 'Rolling restart of api', risk: 'low', preChecks: [], verification: [], rollback: 'none' });

describe('shell executor', () => {
  const base = { enabled: true, allow: ['echo', 'true', 'sleep', 'false'], cwd: os.tmpdir(), timeoutMs: 5_000 };

  it('is off unless enabled', async () => {
    const ex = createShellExecutor({ ...base, enabled: false });
    expect(await ex.execute(step({ command: 'echo', args: 'hi' }), { dryRun: false })).toEqual({ ok: false, output: expect.stringMatching(/SRE_COPILOT_SHELL_ENABLED=true/) });
  });

  it('runs allow-listed commands with execFile and captures their output', async () => {
    const ex = createShellExecutor(base);
    expect(await ex.execute(step({ command: 'echo', args: 'hello world' }), { dryRun: false })).toEqual({ ok: true, output: 'hello world' });
    expect(await ex.execute(step({ command: 'true' }), { dryRun: false })).toMatchObject({ ok: true });
    expect(await ex.execute(step({ command: 'false' }), { dryRun: false })).toMatchObject({ ok: false, output: expect.stringMatching(/exit 1/) });
  });

  it('never interprets shell syntax: metacharacters are plain arguments', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'shell-exec-'));
    const ex = createShellExecutor({ ...base, cwd: dir });
    const out = await ex.execute(step({ argv: JSON.stringify(['echo', '$(touch pwned); touch pwned2 && echo', '`id`']) }), { dryRun: false });
    expect(out).toEqual({ ok: true, output: '$(touch pwned); touch pwned2 && echo `id`' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses commands outside the allow-list, including paths to allowed names', async () => {
    const ex = createShellExecutor(base);
    expect(await ex.execute(step({ command: 'rm', args: '-rf /tmp/x' }), { dryRun: false })).toMatchObject({ ok: false, output: expect.stringMatching(/rm is not in the shell allow-list/) });
    expect(await ex.execute(step({ command: '/tmp/echo' }), { dryRun: false })).toMatchObject({ ok: false, output: expect.stringMatching(/not in the shell allow-list/) });
  });

  it('times out, truncates long output, and dry-runs without running', async () => {
    const slow = createShellExecutor({ ...base, timeoutMs: 200 });
    expect(await slow.execute(step({ command: 'sleep', args: '5' }), { dryRun: false })).toMatchObject({ ok: false, output: expect.stringMatching(/timed out after 200 ms/) });
    const small = createShellExecutor({ ...base, maxOutputChars: 10 });
    expect((await small.execute(step({ command: 'echo', args: 'a'.repeat(100) }), { dryRun: false })).output).toMatch(/^a{10}\n… \[truncated 90 characters\]$/);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'shell-dry-'));
    const dry = createShellExecutor({ ...base, allow: ['touch'], cwd: dir });
    expect(await dry.execute(step({ command: 'touch', args: 'made' }), { dryRun: true })).toEqual({ ok: true, output: `[dry-run] would run in ${dir}: touch made` });
    expect(await readdir(dir)).toEqual([]);
  });

  it('runs a step rollback from its rollback command', async () => {
    const ex = createShellExecutor(base);
    expect(await ex.rollback!(step({ command: 'true', rollbackCommand: 'echo', rollbackArgs: 'undone' }), { dryRun: false })).toEqual({ ok: true, output: 'undone' });
    expect(argvFromStep(step({ argv: '["echo","a b"]' }))).toEqual(['echo', 'a b']);
  });
});

describe('webhook executor', () => {
  const received: { body: unknown; contentType: string | undefined }[] = [];
  let status = 200;
  let delayMs = 0;
  const server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      received.push({ body: JSON.parse(data) as unknown, contentType: req.headers['content-type'] });
      setTimeout(() => {
        res.statusCode = status;
        res.end(status === 200 ? 'restarted api' : 'nope');
      }, delayMs);
    });
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('POSTs the typed step as JSON and reports the answer', async () => {
    const ex = createWebhookExecutor({ url, timeoutMs: 2_000 });
    const s = step({ strategy: 'rolling' });
    expect(await ex.execute(s, { dryRun: false })).toEqual({ ok: true, output: 'restarted api' });
    expect(received.at(-1)).toEqual({ body: { operation: 'execute', step: s }, contentType: 'application/json' });
    await ex.rollback!(s, { dryRun: false });
    expect(received.at(-1)?.body).toMatchObject({ operation: 'rollback' });
    status = 500;
    expect(await ex.execute(s, { dryRun: false })).toEqual({ ok: false, output: 'HTTP 500: nope' });
    status = 200;
  });

  it('times out, and a dry run contacts nothing', async () => {
    delayMs = 1_000;
    const ex = createWebhookExecutor({ url, timeoutMs: 100 });
    expect(await ex.execute(step({}), { dryRun: false })).toEqual({ ok: false, output: `POST ${url} failed: timed out after 100 ms` });
    delayMs = 0;
    const before = received.length;
    expect(await ex.execute(step({}), { dryRun: true })).toMatchObject({ ok: true, output: expect.stringMatching(/^\[dry-run\] would POST to /) });
    expect(received.length).toBe(before);
  });
});

describe('executor registry', () => {
  it('builds executors by name from the config', () => {
    const config = loadConfig({ SRE_COPILOT_SHELL_ENABLED: 'true', SRE_COPILOT_SHELL_ALLOW: 'echo, true', SRE_COPILOT_WEBHOOK_URL: 'http://127.0.0.1:9/hook' });
    expect(config.shell).toMatchObject({ enabled: true, allow: ['echo', 'true'], timeoutMs: 30_000 });
    expect(createExecutor('shell', { config }).name).toBe('shell');
    expect(createExecutor('webhook', { config }).name).toBe('webhook');
    expect(() => createExecutor('scenario', { config })).toThrow(/needs a scenario world/);
    expect(() => createExecutor('ssh', { config })).toThrow(/unknown executor "ssh"; known: scenario, shell, webhook/);
    expect(loadConfig({}).shell?.enabled).toBe(false);
  });
});
