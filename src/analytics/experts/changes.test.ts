import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { FindingSchema } from '../../model/evidence.js';
import { parseCmdbYaml } from '../../connectors/files/cmdb.js';
import { DataSourceError } from '../../connectors/types.js';
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

// a bad deploy of api, the copilot's rollback of it, and a restart it ran; the rollback is the latest deploy
const REMEDIATED = `changes:
  - {id: chg-bad, ts: "${iso(at(64))}", kind: deploy, target: api, description: api 1.4.0, from: 1.3.9, to: 1.4.0, author: ci}
  - {id: chg-rb, ts: "${iso(at(72))}", kind: deploy, target: api, description: Rollback api to 1.3.9, from: 1.4.0, to: 1.3.9, author: sre-copilot, origin: remediation, incidentId: INC-7, planId: plan-INC-7-api-bad_deploy}
  - {id: chg-rs, ts: "${iso(at(73))}", kind: operation, target: redis-cache, description: Restarted redis-cache, author: sre-copilot, origin: remediation}
`;

describe('changes expert and remediations', () => {
  it('lists a remediation as context, never as a suspect, and says which change it undid', async () => {
    const dir = await telemetryDir({ 'cmdb.yaml': CMDB_YAML.replace('changes: []\n', REMEDIATED) });
    dirs.push(dir);
    const findings = await changesExpert(await contextFor(dir, { symptomOnsetMs: at(74) }));
    for (const f of findings) FindingSchema.parse(f);
    const byId = new Map(findings.map((f) => [f.id, f]));
    // the rollback is the latest deploy and closest to the onset, yet it is no bad_deploy suspect
    expect(byId.get('cmdb:chg-rb')).toMatchObject({
      origin: 'remediation',
      faultHints: [],
      score: 0.15,
      summary: 'sre-copilot rolled back api 1.4.0 → 1.3.9 at 09:12 (INC-7, plan plan-INC-7-api-bad_deploy): Rollback api to 1.3.9',
    });
    expect(byId.get('cmdb:chg-rs')).toMatchObject({ origin: 'remediation', faultHints: [], summary: 'sre-copilot acted on redis-cache at 09:13: Restarted redis-cache' });
    const bad = byId.get('cmdb:chg-bad')!;
    expect(bad.origin).toBeUndefined();
    expect(bad.faultHints).toEqual(['bad_deploy']);
    expect(bad.summary).toBe('Deploy on api at 09:04 1.3.9 → 1.4.0: api 1.4.0 (rolled back by sre-copilot at 09:12 for INC-7)');
    expect(findings[0]!.id).toBe('cmdb:chg-bad');
  });

  it('reads the origin from the CMDB, and names a bad one', () => {
    const cmdb = parseCmdbYaml(CMDB_YAML.replace('changes: []\n', REMEDIATED)).value;
    expect(cmdb.changes.map((c) => [c.id, c.origin, c.incidentId])).toEqual([
      ['chg-bad', undefined, undefined],
      ['chg-rb', 'remediation', 'INC-7'],
      ['chg-rs', 'remediation', undefined],
    ]);
    const bad = () => parseCmdbYaml(CMDB_YAML.replace('changes: []\n', REMEDIATED.replace('origin: remediation}', 'origin: robot}')));
    expect(bad).toThrow(DataSourceError);
    expect(bad).toThrow(/changes\.2\.origin/);
  });
});
