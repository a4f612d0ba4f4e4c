import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseInjectTime } from './data.js';
import { nezhaSuite } from './suite.js';

/** A tiny folder laid out like the shared one: one fault day and its fault-free day, gateway → order → payment. */
function writeDataset(root: string) {
  const day = '2023-01-29';
  const inject = parseInjectTime(`${day} 08:43:04`);
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const logLine = (ts: number, pod: string, trace: string, span: string, level: string, text: string) =>
    [new Date(ts).toISOString(), `${ts}000000`, '10.0.0.1', pod, 'server', trace, span, q(JSON.stringify({ log: `00:00:00.000 ${level}  ${text}\n`, stream: 'stdout' }))].join(',');
  const spanLine = (trace: string, id: string, parent: string, pod: string, op: string, ts: number, dur: number) =>
    [trace, id, parent, pod, op, `${ts}000000`, `${ts + dur}000000`, String(dur * 1000)].join(',');
  const pods = { gw: 'ts-gateway-service-6f6cfc45b-h5m2n', order: 'ts-order-service-5b67c48447-mv5hb', pay: 'ts-payment-service-7fc6f5476f-cr76x' };
  const minute = (from: number, fault: boolean) => {
    const logs = ['Timestamp,TimeUnixNano,Node,PodName,Container,TraceID,SpanID,Log'];
    const spans = ['TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration'];
    for (let i = 0; i < 60; i++) {
      const ts = from + i * 1000;
      const t = `t${ts}`;
      spans.push(spanLine(t, 'g', 'root', pods.gw, '/*', ts, 30), spanLine(t, 'o', 'g', pods.order, 'OrderController.pay', ts + 1, 20), spanLine(t, 'p', 'o', pods.pay, 'PaymentController.charge', ts + 2, 10));
      logs.push(logLine(ts, pods.gw, t, 'g', 'INFO', 'g.GatewayFilter#10 TraceID: x SpanID: y [route][pay]'));
      logs.push(logLine(ts, pods.order, t, 'o', 'INFO', 'o.OrderServiceImpl#41 [pay][paid]'));
      logs.push(logLine(ts, pods.pay, t, 'p', fault ? 'ERROR' : 'INFO', fault ? 'p.PaymentServiceImpl#77 [charge][Exception, "injected"]' : 'p.PaymentServiceImpl#70 [charge][charged]'));
    }
    return { logs: gzipSync(logs.join('\n') + '\n'), spans: gzipSync(spans.join('\n') + '\n') };
  };
  const put = (dir: string, name: string, body: Buffer | string) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, name), body);
  };
  const rca = path.join(root, 'rca_data', day);
  put(rca, `${day}-fault_list.json`, JSON.stringify({ '08': [{ inject_time: `${day} 08:43:04`, inject_timestamp: '1674953044', inject_pod: pods.pay, inject_type: 'exception' }] }));
  for (const [name, from, fault] of [['08_42', inject - 60_000, false], ['08_43', inject, true], ['08_44', inject + 60_000, true]] as const) {
    const m = minute(from, fault);
    put(path.join(rca, 'log'), `${name}_log.csv.gz`, m.logs);
    put(path.join(rca, 'trace'), `${name}_trace.csv.gz`, m.spans);
  }
  const cons = path.join(root, 'construct_data', day);
  for (const [name, from] of [['08_20', inject - 23 * 60_000], ['08_21', inject - 22 * 60_000]] as const) {
    const m = minute(from, false);
    put(path.join(cons, 'log'), `${name}_log.csv.gz`, m.logs);
    put(path.join(cons, 'trace'), `${name}_trace.csv.gz`, m.spans);
  }
}

describe('bench nezha on a constructed data folder', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nezha-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  it('streams the gzipped files, ranks the injected service first and reports AC@k', async () => {
    writeDataset(root);
    const lines: string[] = [];
    const r = await nezhaSuite.run({ config: {} as never, data: root, params: {}, progress: (l) => lines.push(l) });
    expect(r.json.summary).toMatchObject({ cases: 1, ac1: 1, ac3: 1, ac5: 1 });
    expect(r.text).toMatch(/exception\s+1\s+1\s+1\s+1/);
    expect(lines.some((l) => l.includes('case 1/1'))).toBe(true);
    const c = (r.json.cases as { top: string[]; evidence: string[] }[])[0]!;
    expect(c.top[0]).toBe('ts-payment-service');
    expect(c.evidence.join(' ')).toMatch(/PaymentServiceImpl#77/);
  });
});
