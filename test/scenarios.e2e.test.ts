import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createChannel } from '../src/bot/registry.js';
import { runDemo } from '../src/cli/demo.js';
import { FAULT_KINDS } from '../src/model/evidence.js';
import { listScenarios } from '../src/world/index.js';
import { testConfig } from './helpers.js';

// One scenario per fault kind, end to end: alert → experts → ranking → reflection → report → approval → fix → verify.
const perKind = FAULT_KINDS.map((kind) => listScenarios().find((s) => s.fault.kind === kind)!);

describe('every fault kind, end to end on the scenario world', () => {
  it('has a bundled scenario for each of the fault kinds', () => {
    expect(perKind.every(Boolean)).toBe(true);
    expect(new Set(listScenarios().map((s) => s.fault.kind)).size).toBeGreaterThanOrEqual(8);
  });

  for (const scenario of perKind) {
    it(`${scenario.name}: finds ${scenario.fault.kind} on ${scenario.fault.target}, fixes it on approval and verifies recovery`, async () => {
      const config = await testConfig();
      const { scenarios } = await runDemo({ config, scenarios: [scenario.name], seed: 7, approve: 'yes', channelFor: () => createChannel('console', { stream: null }) });
      const s = scenarios[0]!;
      expect(s.error).toBeUndefined();
      expect(s.hit3).toBe(true);
      expect(s.topCauses[0]).toMatchObject({ target: scenario.fault.target, kind: scenario.fault.kind });
      expect(s.fixed).toBe(true);
      expect(s.recovered).toBe(true);
      const report = readFileSync(s.report!, 'utf8');
      expect(report).toContain(scenario.fault.target);
      expect(report).toMatch(/recover/i);
      const charts = [...report.matchAll(/!\[[^\]]*\]\(([^)]+\.png)\)/g)].map((m) => m[1]!);
      expect(charts.length).toBeGreaterThan(0);
      for (const chart of charts) expect(existsSync(new URL(chart, `file://${s.report}`))).toBe(true);
    });
  }
});
