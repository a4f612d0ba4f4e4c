import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { FindingSchema } from '../../model/evidence.js';
import { at, CMDB_YAML, contextFor, telemetryDir } from './fixture.js';
import { classifyLogText, logsExpert } from './logs.js';
import { topology } from './changes.js';
import { parseCmdbYaml } from '../../connectors/files/cmdb.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const java = (ms: number, level: string, msg: string) =>
  `${new Date(ms).toISOString().replace('T', ' ').replace('.', ',').slice(0, 23)} ${level} [http-nio-8080-exec-3] c.shop.api.Api - ${msg}`;
const nginx = (ms: number, req: string, status: number) => {
  const d = new Date(ms);
  const ts = `${String(d.getUTCDate()).padStart(2, '0')}/Nov/2026:${d.toISOString().slice(11, 19)} +0000`;
  return `10.0.1.${ms % 200} - - [${ts}] "${req} HTTP/1.1" ${status} ${ms % 900} 0.0${ms % 9}2 "-" "Mozilla/5.0"`;
};
const logfmt = (ms: number, level: string, msg: string) => `ts=${new Date(ms).toISOString()} level=${level} msg="${msg}"`;

function fixture(): Record<string, string> {
  const api: string[] = [];
  const web: string[] = [];
  const redis: string[] = [];
  for (let m = 0; m < 90; m++) {
    for (let k = 0; k < 3; k++) {
      api.push(java(at(m, k * 15), 'INFO', `Handled request id=${m * 10 + k} for user ${1000 + k * m} in ${20 + k}ms`));
      web.push(nginx(at(m, k * 15 + 1), k === 0 ? '/api/checkout'.replace(/^/, 'POST ') : 'GET /api/products', 200));
      redis.push(logfmt(at(m, k * 15 + 2), 'info', `Accepted connection from 10.0.2.${k}:${5000 + m}`));
    }
    if (m % 15 === 0) api.push(java(at(m, 50), 'WARN', `Slow cache lookup for key user:${m}`));
    if (m % 10 === 5) web.push(nginx(at(m, 55), 'GET /api/products', 404));
    if (m % 20 === 3) web.push(`${logfmt(at(m, 56), 'warn', `Retrying request to api attempt ${m % 3}`)}`);
    if (m >= 70) {
      for (let k = 0; k < 5; k++) {
        api.push(java(at(m, 30 + k), 'ERROR', `HikariPool-1 - Connection is not available, request timed out after 30000ms.`));
      }
      api.push(java(at(m, 40), 'ERROR', `Charge declined for card 4111111111111111 with Authorization: Bearer eyJhbGciOi.secret`));
      api.push(java(at(m, 41), 'ERROR', `java.lang.NullPointerException at c.shop.api.Api.handle(Api.java:${42 + (m % 2)})`));
    }
    if (m >= 75) {
      for (let k = 0; k < 4; k++) web.push(nginx(at(m, 20 + k), 'POST /api/checkout', 503));
      for (let k = 0; k < 4; k++) web.push(logfmt(at(m, 25 + k), 'warn', `Retrying request to api attempt ${k}`));
    }
  }
  return {
    'logs/api.log': api.join('\n') + '\n',
    'logs/web.log': web.join('\n') + '\n',
    'logs/redis-cache.log': redis.join('\n') + '\n',
    'cmdb.yaml': CMDB_YAML.replace(
      'changes: []',
      `changes:\n  - {id: chg-7, ts: "${new Date(at(68)).toISOString()}", kind: deploy, target: api, description: api 1.4.0, from: 1.3.9, to: 1.4.0, author: ci}`,
    ),
  };
}

describe('logs expert', () => {
  it('flags new templates, surges and error bursts with hints and components; redacts evidence', async () => {
    const dir = await telemetryDir(fixture());
    dirs.push(dir);
    const findings = await logsExpert(await contextFor(dir));
    for (const f of findings) FindingSchema.parse(f);
    const text = JSON.stringify(findings);
    expect(text).not.toContain('4111111111111111');
    expect(text).not.toContain('eyJhbGciOi');
    expect(findings.some((f) => f.component === 'redis-cache')).toBe(false);
    expect(findings.length).toBeLessThanOrEqual(25);

    const pool = findings.find((f) => f.anomaly === 'new_template' && f.summary.includes('Connection is not available'))!;
    expect(pool).toMatchObject({ expert: 'logs', component: 'db', faultHints: ['db_connection_exhaustion'], onsetMs: at(70, 30) });
    expect(pool.id).toMatch(/^logs:api:new:t[0-9a-f]{8}$/);

    const npe = findings.find((f) => f.summary.includes('NullPointerException'))!;
    expect(npe).toMatchObject({ component: 'api', faultHints: ['bad_deploy'], anomaly: 'new_template' });
    expect(npe.evidence.join(' ')).toContain('chg-7');

    const retry = findings.find((f) => f.anomaly === 'template_surge' && f.summary.includes('Retrying request'))!;
    expect(retry).toMatchObject({ component: 'web->api', faultHints: ['network_latency'], onsetMs: at(75) });

    expect(findings.find((f) => f.id === 'logs:api:burst:ERROR')).toMatchObject({ anomaly: 'error_burst', onsetMs: at(70) });
    expect(findings.find((f) => f.id === 'logs:web:burst:ERROR')).toMatchObject({ anomaly: 'error_burst', onsetMs: at(75) });
    expect(findings.map((f) => f.score)).toEqual([...findings.map((f) => f.score)].sort((a, b) => b - a));
  });

  it('classifies template text', () => {
    const topo = topology(parseCmdbYaml(CMDB_YAML).value);
    const c = (text: string, service = 'api') => classifyLogText({ text, service, topo });
    expect(c('Timeout calling bank-gateway after <*>')).toEqual({ hints: ['third_party_timeout'], component: 'bank-gateway' });
    expect(c('Timeout calling db after <*>', 'web')).toEqual({ hints: ['network_latency'], component: 'web->db' });
    expect(c('Bank gateway declined: acquirer unavailable')).toEqual({ hints: ['third_party_timeout'], component: 'bank-gateway' });
    expect(c('Connection refused: redis-cache:<*>')).toEqual({ hints: ['cache_outage'], component: 'redis-cache' });
    expect(c('java.lang.OutOfMemoryError: Java heap space').hints).toEqual(['memory_leak']);
    expect(c('write failed: No space left on device').hints).toEqual(['disk_full']);
    expect(c('Thread pool exhausted, queueing request').hints).toEqual(['cpu_saturation']);
    expect(c('invalid value <*> for key timeout').hints).toEqual(['config_change']);
    expect(c('duration: <*>  statement: SELECT <*>', 'db')).toEqual({ hints: ['db_connection_exhaustion'], component: 'db' });
    expect(c('NullPointerException at Foo').hints).toEqual([]);
  });
});
