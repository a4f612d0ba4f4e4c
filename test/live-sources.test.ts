import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createChannel } from '../src/bot/registry.js';
import { configuredSourceKinds } from '../src/connectors/sources.js';
import { cmdbFromSpans } from '../src/connectors/trace-topology.js';
import type { LogRecord, Span } from '../src/model/telemetry.js';
import { createServeRuntime, dataSourceMode, onOneCallPath, type ServeRuntime } from '../src/runtime.js';
import { testConfig } from './helpers.js';

/**
 * The serve runtime on real telemetry: no scenario world, the wall clock, the OTLP receiver's store as the only
 * source (traces and logs, no metrics) — a deployment that only exports OpenTelemetry still gets a ranking, the thread
 * and the report say which signals were missing, and a curated CMDB file adds owners to the discovered topology.
 */

const MIN = 60_000;

/** frontend → checkout → payment → payments-db every 5 s for 70 min; payment 1.5.0 deployed 8 min ago fails 40 % */
function shopTraffic(now: number): { spans: Span[]; logs: LogRecord[] } {
  const spans: Span[] = [];
  const logs: LogRecord[] = [];
  const onset = now - 8 * MIN;
  let n = 0;
  for (let t = now - 70 * MIN; t < now; t += 5_000) {
    n++;
    const broken = t >= onset;
    const fails = broken ? n % 5 < 2 : n % 200 === 0;
    const traceId = n.toString(16).padStart(32, '0');
    const id = (k: number) => (n * 10 + k).toString(16).padStart(16, '0');
    const span = (k: number, parent: number | null, service: string, kind: Span['kind'], ms: number, error: boolean, attributes: Span['attributes'] = {}): Span => ({
      traceId,
      spanId: id(k),
      ...(parent === null ? {} : { parentSpanId: id(parent) }),
      service,
      name: `${kind} ${service}`,
      kind,
      startMs: t + k,
      endMs: t + k + ms,
      status: error ? 'ERROR' : 'OK',
      attributes: { 'service.version': service === 'payment' ? (broken ? '1.5.0' : '1.4.0') : '2.0.0', ...attributes },
    });
    const paymentMs = fails ? 400 : 30;
    spans.push(
      span(1, null, 'frontend', 'SERVER', paymentMs + 40, fails),
      span(2, 1, 'frontend', 'CLIENT', paymentMs + 30, fails),
      span(3, 2, 'checkout', 'SERVER', paymentMs + 25, fails),
      span(4, 3, 'checkout', 'CLIENT', paymentMs + 10, fails),
      span(5, 4, 'payment', 'SERVER', paymentMs, fails),
      span(6, 5, 'payment', 'CLIENT', 8, false, { 'db.system': 'postgresql', 'server.address': 'payments-db' }),
    );
    if (fails) logs.push({ ts: t + 5, service: 'payment', level: 'ERROR', message: `NullPointerException in PaymentAuthorizer.authorize order=${n}`, traceId });
    else if (n % 6 === 0) logs.push({ ts: t + 5, service: 'checkout', level: 'INFO', message: `order ${n} placed` });
  }
  return { spans, logs };
}

describe('serve runtime on real telemetry', () => {
  const runtimes: ServeRuntime[] = [];
  afterEach(async () => {
    for (const r of runtimes.splice(0)) await r.close();
  });

  it('picks its data source from the configuration', async () => {
    expect(dataSourceMode(await testConfig())).toBe('auto');
    expect(dataSourceMode(await testConfig({ SRE_COPILOT_WORLD: 'scenario', PROMETHEUS_URL: 'http://127.0.0.1:9' }))).toBe('world');
    expect(dataSourceMode(await testConfig({ PROMETHEUS_URL: 'http://127.0.0.1:9' }))).toBe('live');
    expect(dataSourceMode(await testConfig({ SRE_COPILOT_WORLD: 'off' }))).toBe('live');
    expect(configuredSourceKinds((await testConfig({ LOKI_URL: 'http://127.0.0.1:9', SRE_COPILOT_CMDB: '/tmp/cmdb.yaml' })).sources)).toEqual(['cmdb', 'loki']);
  });

  it('diagnoses from OTLP traces and logs alone, names the missing metrics, and merges the curated CMDB', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sre-copilot-cmdb-'));
    const cmdbFile = path.join(dir, 'cmdb.yaml');
    await writeFile(cmdbFile, 'services:\n  - { name: payment, kind: service, tier: 0, owner: team-payments, hosts: [], dependsOn: [] }\nhosts: []\nchanges: []\n');
    const config = await testConfig({ SRE_COPILOT_WORLD: 'off', SRE_COPILOT_CMDB: cmdbFile });
    const runtime = await createServeRuntime({ config });
    runtimes.push(runtime);
    expect(runtime.world).toBeNull();
    expect(runtime.source().mode).toBe('live');
    expect(Math.abs(runtime.now() - Date.now())).toBeLessThan(5_000);

    const { spans, logs } = shopTraffic(Date.now());
    runtime.otlp.addSpans(spans);
    runtime.otlp.addLogs(logs);

    const cmdb = await runtime.connectors.cmdb.snapshot();
    const payment = cmdb.services.find((s) => s.name === 'payment');
    expect(payment?.owner).toBe('team-payments'); // the curated CMDB wins on what it knows
    expect(payment?.dependsOn).toContain('payments-db'); // discovered calls add to it
    expect(cmdb.services.find((s) => s.name === 'payments-db')?.kind).toBe('database');
    expect(cmdb.changes.some((c) => c.kind === 'deploy' && c.target === 'payment' && c.from === '1.4.0' && c.to === '1.5.0')).toBe(true);

    const lines: string[] = [];
    const copilot = runtime.copilotFor(createChannel('console', { stream: { write: (chunk: string) => (lines.push(chunk), true) } as unknown as NodeJS.WritableStream }));
    const now = Date.now();
    const outcome = await copilot.handleSignal({
      kind: 'alert',
      alert: { name: 'HighErrorRate', severity: 'critical', service: 'frontend', summary: 'frontend 5xx above 10 %', labels: { service: 'frontend' }, startsAt: now - 6 * MIN, source: 'test' },
      receivedAt: now,
    });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.session.result.ranked[0]?.component).toBe('payment');
    // the deploy discovered from service.version is what makes it a bad deploy rather than a mere failure
    expect(outcome.session.result.ranked[0]?.kind).toBe('bad_deploy');
    const thread = lines.join('');
    expect(thread).toMatch(/Missing signals: metrics/);
    const report = await readFile(outcome.session.report.path, 'utf8');
    expect(report).toMatch(/## Data sources/);
    expect(report).toMatch(/\*\*metrics\*\*: missing/);
    expect(report).toMatch(/\*\*traces\*\*: otlp receiver/);
  }, 60_000);

  it('knows which components are on one call path', () => {
    const svc = (name: string, dependsOn: string[]) => ({ name, kind: 'service' as const, tier: 1, owner: 'x', hosts: [], dependsOn });
    const cmdb = { services: [svc('web', ['checkout']), svc('checkout', ['payment']), svc('payment', ['db']), svc('search', ['index'])], hosts: [], changes: [] };
    expect(onOneCallPath(cmdb, 'web', 'db')).toBe(true);
    expect(onOneCallPath(cmdb, 'payment', 'web')).toBe(true);
    expect(onOneCallPath(cmdb, 'search', 'payment')).toBe(false);
  });

  it('cmdbFromSpans finds no deploy when a service keeps its version', () => {
    const now = Date.now();
    const { spans } = shopTraffic(now);
    const steady = spans.map((s) => ({ ...s, attributes: { ...s.attributes, 'service.version': '1.0.0' } }));
    expect(cmdbFromSpans(steady).changes).toEqual([]);
  });
});
