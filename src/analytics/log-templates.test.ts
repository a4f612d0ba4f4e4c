import { describe, expect, it } from 'vitest';
import { generalize, maskMessage, TemplateMiner } from './log-templates.js';
import { compareTemplates } from './template-compare.js';

const MIN = 60_000;

describe('maskMessage', () => {
  it('masks variable parts, keeping the punctuation around them (Loghub template style)', () => {
    expect(maskMessage('User 123 logged in from 10.0.0.1:5432 after 35ms')).toBe('User <*> logged in from <*>:<*> after <*>');
    expect(maskMessage('req 550e8400-e29b-41d4-a716-446655440000 trace 4bf92f3577b34da6 at 0x7fed806eb5d')).toBe('req <*> trace <*> at <*>');
    expect(maskMessage('write /var/lib/data/file.db failed; GET /health ok')).toBe('write <*> failed; GET /health ok');
    expect(maskMessage('duration: 2345.123 ms  statement: SELECT 1')).toBe('duration: <*> ms statement: SELECT <*>');
    expect(maskMessage("Can't connect to v2 api")).toBe("Can't connect to v2 api");
    expect(maskMessage('Session s-k3j4h5g6f7d8 validated for user u-123456 via SHA256 on x86_64')).toBe(
      'Session s-<*> validated for user u-<*> via SHA256 on x86_64',
    );
    expect(maskMessage('uid=0 euid=0 rhost=218.188.2.4 enabled:true blk_-6952295868487656571 application_1445087491445_0005')).toBe(
      'uid=<*> euid=<*> rhost=<*> enabled:<*> <*> <*>',
    );
    expect(maskMessage('proxy.cse.cuhk.edu.hk:5070 open, took 2.5s (3 KB)')).toBe('<*>:<*> open, took <*> (<*> KB)');
    expect(maskMessage('connection from 24.54.76.216 (24-54-76-216.bflony.adelphia.net) at Fri Jun 17 07:07:00 2005')).toBe(
      'connection from <*> (<*>) at <*>',
    );
    expect(maskMessage('Retrying connect to server: msra-sa-41:8030. Old: msra-sa-41/10.190.173.170:9000 on node-7')).toBe(
      'Retrying connect to server: <*>:<*>. Old: <*>/<*>:<*> on node-<*>',
    );
  });

  it('generalizes two tokens to the most specific common form', () => {
    expect(generalize('user=root', 'user=guest')).toBe('user=<*>');
    expect(generalize('rhost=<*>', 'rhost=host-1.example')).toBe('rhost=<*>');
    expect(generalize('(titleField)', '(nameField)')).toBe('(<*>)');
    expect(generalize('HTTPS', 'SOCKS5')).toBe('<*>');
  });
});

describe('TemplateMiner', () => {
  it('groups messages that differ only in variables, separates different sentences', () => {
    const m = new TemplateMiner();
    const a = m.add('User 123 logged in from 10.0.0.1', 0);
    const b = m.add('User 456 logged in from 10.0.0.2', 1000);
    const c = m.add('Payment declined for order 42', 2000, 'WARN');
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(m.get(a)?.template).toBe('User <*> logged in from <*>');
    expect(m.get(a)?.count).toBe(2);
    expect(m.size).toBe(2);
  });

  it('merges variants into wildcards and round-trips through JSON', () => {
    const m = new TemplateMiner();
    const x = m.add('Cache miss for key cart', 0);
    expect(m.add('Cache miss for key session', 60_000)).toBe(x);
    expect(m.get(x)?.template).toBe('Cache miss for key <*>');
    const copy = TemplateMiner.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    expect(copy.toJSON()).toEqual(m.toJSON());
    expect(copy.add('Cache miss for key profile', 120_000)).toBe(x);
    expect(copy.buckets(x)).toEqual([[0, 1], [60_000, 1], [120_000, 1]]);
  });

  it('keeps a word that takes only a few values apart, merges one that takes many, and persists that', () => {
    const m = new TemplateMiner();
    const ids: [string, string][] = [];
    for (let i = 0; i < 40; i++) {
      const msg = `host${i % 7}.example.com:443 open through proxy 10.0.0.${i % 5}:8080 ${i % 3 ? 'HTTPS' : 'SOCKS5'}`;
      ids.push([m.add(msg, i), msg]);
      const login = `Accepted password for ${['root', 'alice', 'bob', 'carol', 'dave', 'erin'][i % 6]} from 10.1.1.${i} port ${4000 + i}`;
      ids.push([m.add(login, i), login]);
    }
    const seen = new Set(ids.map(([id, msg]) => m.templateFor(id, msg)));
    expect(seen).toEqual(
      new Set([
        'Accepted password for <*> from <*> port <*>',
        '<*>:<*> open through proxy <*>:<*> HTTPS',
        '<*>:<*> open through proxy <*>:<*> SOCKS5',
      ]),
    );
    const copy = TemplateMiner.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    expect(copy.toJSON()).toEqual(m.toJSON());
    const [id, msg] = ids[0]!;
    expect(copy.templateFor(id, msg)).toBe(m.templateFor(id, msg));
  });

  it('flags a template that appears only in the recent window, surges and error bursts', () => {
    const m = new TemplateMiner();
    for (let i = 0; i < 60; i++) m.add(`Served request ${i} in ${i % 7} ms`, i * MIN);
    for (let i = 0; i < 60; i += 10) m.add(`Retrying request to payment attempt ${i}`, i * MIN, 'WARN');
    for (let i = 60; i < 70; i++) {
      m.add(`Served request ${i} in 3 ms`, i * MIN);
      for (let k = 0; k < 3; k++) m.add(`Retrying request to payment attempt ${k}`, i * MIN + k, 'WARN');
      m.add(`Connection refused: redis-cache:6379 on attempt ${i}`, i * MIN + 5, 'ERROR');
    }
    const cmp = compareTemplates(m.window(0, 60 * MIN), m.window(60 * MIN, 70 * MIN));
    expect(cmp.newTemplates.map((t) => t.template)).toEqual(['Connection refused: redis-cache:<*> on attempt <*>']);
    expect(cmp.newTemplates[0]).toMatchObject({ level: 'ERROR', recentCount: 10, firstMs: 60 * MIN + 5 });
    expect(cmp.surges.map((t) => t.template)).toEqual(['Retrying request to payment attempt <*>']);
    expect(cmp.errorBursts.map((b) => b.level).sort()).toEqual(['ERROR', 'WARN']);
  });
});
