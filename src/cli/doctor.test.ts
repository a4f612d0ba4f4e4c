import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { formatDoctor, runDoctor } from './doctor.js';

let server: http.Server;
let base = '';
let closedPort = 0;

beforeAll(async () => {
  // a stand-in that is "ready" the way Prometheus says it (GET /-/ready → 200) and answers nothing else
  server = http.createServer((req, res) => {
    res.writeHead(req.url === '/-/ready' ? 200 : 503).end(req.url === '/-/ready' ? 'Prometheus Server is Ready.' : 'not ready yet');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const spare = http.createServer();
  await new Promise<void>((r) => spare.listen(0, '127.0.0.1', () => r()));
  closedPort = (spare.address() as AddressInfo).port;
  await new Promise<void>((r) => spare.close(() => r()));
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('doctor', () => {
  it('says for every source, adapter, store and the LLM whether it is on and precisely why, probing configured URLs', async () => {
    const config = loadConfig({ SRE_COPILOT_HOME: '/tmp/sre-doctor-test', PROMETHEUS_URL: base, LOKI_URL: `http://127.0.0.1:${closedPort}`, TEMPO_URL: base });
    const rows = await runDoctor(config);
    const row = (name: string) => rows.find((r) => r.name === name)!;
    expect(row('prometheus')).toMatchObject({ area: 'source', status: 'enabled', detail: expect.stringContaining(base) });
    expect(row('loki')).toMatchObject({ status: 'failing', detail: expect.stringMatching(/ECONNREFUSED/) });
    expect(row('tempo')).toMatchObject({ status: 'failing', detail: expect.stringMatching(/HTTP 503: not ready yet/) });
    expect(row('jaeger')).toMatchObject({ status: 'disabled', detail: 'JAEGER_URL is not set' });
    expect(row('data source')).toMatchObject({ status: 'enabled', detail: expect.stringMatching(/real telemetry on the wall clock: prometheus, loki, tempo \+ the OTLP receiver/) });
    expect(row('cmdb')).toMatchObject({ status: 'disabled', detail: expect.stringMatching(/SRE_COPILOT_CMDB is not set/) });
    expect(row('llm')).toMatchObject({ status: 'disabled', detail: expect.stringMatching(/LLM_PROVIDER=none/) });
    expect(row('slack')).toMatchObject({ area: 'chat', status: 'disabled', detail: 'SLACK_BOT_TOKEN is not set' });
    expect(row('store')).toMatchObject({ area: 'store', status: 'enabled', detail: expect.stringMatching(/LibSQL file/) });
    expect(row('queue')).toMatchObject({ area: 'store', status: 'disabled', detail: expect.stringMatching(/REDIS_URL is not set/) });
    expect(formatDoctor(rows).split('\n')[0]).toMatch(/^AREA\s+NAME\s+STATUS\s+DETAIL$/);
  });

  it('says when the queue of a cluster does not answer, without printing its password', async () => {
    const rows = await runDoctor(loadConfig({ SRE_COPILOT_HOME: '/tmp/sre-doctor-test', REDIS_URL: `redis://:hunter2@127.0.0.1:${closedPort}` }));
    const queue = rows.find((r) => r.name === 'queue')!;
    expect(queue).toMatchObject({ status: 'failing', detail: expect.stringMatching(/no answer within 3 s/) });
    expect(queue.detail).not.toContain('hunter2');
  });

  it('reads a curated CMDB file and says why one that does not parse fails', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const dir = await mkdtemp('/tmp/sre-doctor-cmdb-');
    await writeFile(`${dir}/good.yaml`, 'services:\n  - { name: api, kind: service, tier: 1, owner: team }\nhosts: []\nchanges: []\n');
    await writeFile(`${dir}/bad.yaml`, 'services:\n  - { name: api, kind: spaceship, tier: 1, owner: team }\n');
    const good = (await runDoctor(loadConfig({ SRE_COPILOT_HOME: '/tmp/sre-doctor-test', SRE_COPILOT_CMDB: `${dir}/good.yaml` }))).find((r) => r.name === 'cmdb');
    expect(good).toMatchObject({ status: 'enabled', detail: expect.stringMatching(/1 services, 0 hosts, 0 changes/) });
    const bad = (await runDoctor(loadConfig({ SRE_COPILOT_HOME: '/tmp/sre-doctor-test', SRE_COPILOT_CMDB: `${dir}/bad.yaml` }))).find((r) => r.name === 'cmdb');
    expect(bad).toMatchObject({ status: 'failing', detail: expect.stringMatching(/bad\.yaml is invalid \(services\.0\.kind/) });
  });

  it('runs the bundled world when nothing real is configured, and exits 1 from the command line when a source fails', async () => {
    const rows = await runDoctor(loadConfig({ SRE_COPILOT_HOME: '/tmp/sre-doctor-test' }));
    expect(rows.find((r) => r.name === 'data source')).toMatchObject({ status: 'enabled', detail: expect.stringMatching(/bundled simulated shop, until the OTLP receiver gets data/) });
    expect(rows.some((r) => r.status === 'failing')).toBe(false);
    const bin = fileURLToPath(new URL('../../bin/sre-copilot', import.meta.url));
    const cli = spawnSync(bin, ['doctor', '--json'], { env: { ...process.env, SRE_COPILOT_HOME: '/tmp/sre-doctor-test', LOKI_URL: `http://127.0.0.1:${closedPort}` }, encoding: 'utf8' });
    expect(cli.status).toBe(1);
    expect((JSON.parse(cli.stdout) as { checks: { name: string; status: string }[] }).checks.find((c) => c.name === 'loki')?.status).toBe('failing');
  });
});
