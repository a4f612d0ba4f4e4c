import { describe, expect, it } from 'vitest';
import { caseWindows, inferKinds, parseInjectTime, parseLogText, podToService, selectFiles, type MinuteFile } from './data.js';
import type { Span } from '../../model/telemetry.js';

describe('pod → service', () => {
  it('strips the replica suffix', () => {
    expect(podToService('ts-order-service-6c4f9d8b7-abcde')).toBe('ts-order-service');
    expect(podToService('ts-contacts-service-866bd68c97-xcqfx')).toBe('ts-contacts-service');
    expect(podToService('ts-ui-dashboard-5477b965f-2chkr')).toBe('ts-ui-dashboard');
    expect(podToService('mysql-0')).toBe('mysql');
    expect(podToService('ts-order-service')).toBe('ts-order-service');
  });
});

describe('windows by inject_time', () => {
  const inject = parseInjectTime('2023-01-29 08:43:04');
  it('reads inject_time as UTC', () => {
    expect(new Date(inject).toISOString()).toBe('2023-01-29T08:43:04.000Z');
  });
  it('puts the window after inject_time and the baseline before it', () => {
    const w = caseWindows(inject, 10 * 60_000, 5 * 60_000);
    expect(w.window).toEqual({ fromMs: inject, toMs: inject + 600_000 });
    expect(w.baseline).toEqual({ fromMs: inject - 300_000, toMs: inject });
  });
  it('selects minute files around the range, by name with slack', () => {
    const day = parseInjectTime('2023-01-29 00:00:00');
    const files: MinuteFile[] = ['08_30', '08_42', '08_43', '08_44', '08_53', '09_10'].map((n) => {
      const [h, m] = n.split('_').map(Number);
      return { file: `${n}_log.csv.gz`, minuteMs: day + (h! * 60 + m!) * 60_000 };
    });
    const picked = selectFiles(files, { fromMs: inject - 60_000, toMs: inject + 5 * 60_000 }, 5 * 60_000).map((f) => f.file);
    expect(picked).toEqual(['08_42_log.csv.gz', '08_43_log.csv.gz', '08_44_log.csv.gz', '08_53_log.csv.gz']);
  });
});

describe('log and span adaptation', () => {
  it('unwraps the JSON log and keeps level and code location', () => {
    const r = parseLogText('{"log":"16:42:22.382 ERROR  c.s.ContactsServiceImpl#37 TraceID: ab SpanID: cd [find][No contacts]\\n","stream":"stdout"}');
    expect(r).toEqual({ level: 'ERROR', message: 'c.s.ContactsServiceImpl#37 [find][No contacts]' });
  });
  it('infers SERVER/CLIENT/INTERNAL from parent and child services', () => {
    const sp = (id: string, parent: string | undefined, service: string): Span => ({
      traceId: 't', spanId: id, ...(parent ? { parentSpanId: parent } : {}), service, name: id, kind: 'INTERNAL', startMs: 0, endMs: 1, status: 'UNSET', attributes: {},
    });
    const out = inferKinds([sp('a', undefined, 'gw'), sp('b', 'a', 'gw'), sp('c', 'b', 'order'), sp('d', 'c', 'order')]);
    expect(out.map((s) => s.kind)).toEqual(['SERVER', 'CLIENT', 'SERVER', 'INTERNAL']);
  });
});
