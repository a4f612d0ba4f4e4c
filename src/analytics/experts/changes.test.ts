import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { FindingSchema } from '../../model/evidence.js';
import { parseCmdbYaml } from '../../connectors/files/cmdb.js';
import { changesExpert, estimateSymptomOnset, topology } from './changes.js';
import { at, CMDB_YAML, contextFor, iso, metricsCsv, telemetryDir } from './fixture.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const CHANGES = `changes:
  - {id: chg-old, ts: "${iso(at(-90))}", kind: deploy, target: web, description: too old, author: ci}
  - {id: chg-cfg, ts: "${iso(at(20))}", kind: config, target: api, description: pool size 50 -> 5, from: "50", to: "5", author: alice}
  - {id: chg-dep, ts: "${iso(at(66))}", kind: deploy, target: api, description: api 1.4.0, from: 1.3.9, to: 1.4.0, author: ci}
  - {id: chg-ff, ts: "${iso(at(80))}", kind: feature_flag, target: web, description: new checkout on, author: bob}
  - {id: chg-infra, ts: "${iso(at(50))}", kind: infra, target: h3, description: kernel patch, author: ops}
`;

describe('changes expert', () => {
  it('ranks changes by how closely they precede the symptoms, with owners and hints', async () => {
    const dir = await telemetryDir({ 'cmdb.yaml': CMDB_YAML.replace('changes: []\n', CHANGES) });
    dirs.push(dir);
    const findings = await changesExpert(await contextFor(dir, { symptomOnsetMs: at(70) }));
    for (const f of findings) FindingSchema.parse(f);
    expect(findings.map((f) => f.id)).toEqual(['cmdb:chg-dep', 'cmdb:chg-infra', 'cmdb:chg-cfg', 'cmdb:chg-ff']);
    expect(findings[0]).toMatchObject({
      component: 'api', anomaly: 'change', faultHints: ['bad_deploy'], onsetMs: at(66), signal: 'chg-dep',
    });
    expect(findings[0]!.evidence.join(' | ')).toMatch(/owner checkout \(on-call checkout-oncall\)/);
    expect(findings[0]!.evidence.join(' | ')).toMatch(/4 min before the symptoms/);
    expect(findings.find((f) => f.id === 'cmdb:chg-cfg')?.faultHints).toEqual(['config_change']);
    expect(findings.find((f) => f.id === 'cmdb:chg-ff')?.faultHints).toEqual(['config_change']);
    expect(findings.find((f) => f.id === 'cmdb:chg-infra')?.evidence.join(' ')).toContain('services on host: db, redis-cache');
  });

  it('topology helpers', () => {
    const t = topology(parseCmdbYaml(CMDB_YAML).value);
    expect(t.callees.get('api')).toEqual(['db', 'redis-cache', 'bank-gateway']);
    expect(t.callers.get('db')).toEqual(['api']);
    expect(t.callers.get('web')).toEqual([]);
    expect(t.hostOf('api')).toBe('h2');
    expect(t.hostOf('bank-gateway')).toBeUndefined();
    expect(t.servicesOnHost('h3')).toEqual(['db', 'redis-cache']);
    expect(t.kindOf('h1')).toBe('host');
  });
});

describe('changes expert without a given symptom onset', () => {
  it('estimates the onset from golden signals, so a deploy just before the errors ranks first', async () => {
    const dir = await telemetryDir({
      'cmdb.yaml': CMDB_YAML.replace(
        'changes: []\n',
        `changes:\n  - {id: chg-early, ts: "${iso(at(62))}", kind: deploy, target: web, description: d, author: ci}\n` +
          `  - {id: chg-late, ts: "${iso(at(76))}", kind: deploy, target: api, description: d, author: ci}\n`,
      ),
      'metrics.csv': metricsCsv([{ entity: 'api', metric: 'error_rate', f: (i) => (i >= 75 ? 0.3 : 0.004) }]),
    });
    dirs.push(dir);
    const ctx = await contextFor(dir);
    expect(await estimateSymptomOnset(ctx)).toBe(at(75));
    const findings = await changesExpert(ctx);
    expect(findings.map((f) => f.id)).toEqual(['cmdb:chg-late', 'cmdb:chg-early']);
  });
});
