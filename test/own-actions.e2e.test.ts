import { describe, expect, it } from 'vitest';
import { createChannel } from '../src/bot/registry.js';
import { markOwnActions, ownActions } from '../src/remediation/own-actions.js';
import { createScenarioRuntime } from '../src/runtime.js';
import { testConfig } from './helpers.js';

// Issue 10.6: after the copilot rolled back a bad deploy, the next diagnosis in the same world took the rollback for
// "the latest deploy" and proposed deploying the bad version again.
describe('a second diagnosis after the copilot rolled back a bad deploy', () => {
  it('reads the rollback as a remediation, not a suspect, and never proposes the bad version again', async () => {
    const config = await testConfig();
    const rt = await createScenarioRuntime({ config, scenario: 'bad-deploy-payment', seed: 1, channel: createChannel('console', { stream: null }) });
    try {
      const first = await rt.copilot.handleAlertText(JSON.stringify(rt.world.alertPayload()));
      if (!first.ok) throw new Error(first.error);
      const rollback = first.session.result.plan!.steps[0]!;
      expect(rollback).toMatchObject({ action: 'rollback_deploy', target: 'payment-service' });
      const bad = String(rollback.params.fromVersion);
      const good = String(rollback.params.toVersion);
      const decided = await rt.copilot.decide(first.session.incident.id, 'alice', 'approved');
      if (!decided.ok) throw new Error(decided.error);
      expect(decided.session.verification?.recovered).toBe(true);

      // later, someone asks about payment-service: the window now holds the bad deploy and the copilot's rollback
      await rt.world.advance(20);
      const second = await rt.copilot.handleSignal({ kind: 'question', text: 'why is payment-service failing?', user: 'alice', receivedAt: rt.world.now() });
      if (!second.ok) throw new Error(second.error);
      const { findings, ranked, plan, planNotes } = second.session.result;

      const own = findings.filter((f) => f.expert === 'cmdb' && f.origin === 'remediation');
      expect(own).toHaveLength(1);
      expect(own[0]).toMatchObject({ component: 'payment-service', faultHints: [] });
      expect(own[0]!.summary).toContain(`sre-copilot rolled back payment-service ${bad} → ${good}`);
      // the deploy it undid says so
      expect(findings.find((f) => f.expert === 'cmdb' && f.summary.includes(`${good} → ${bad}`))?.summary).toMatch(/\(rolled back by sre-copilot at \d\d:\d\d/);

      for (const h of ranked.slice(0, 3)) {
        expect(h.findingIds).not.toContain(own[0]!.id);
        expect(h.evidence.join(' ')).not.toContain('Rollback payment-service');
      }
      // the window's symptoms still point at the bad deploy; its fix is already done, so nothing (no rollback to the
      // bad version, no script undoing the rollback) is proposed
      expect(ranked[0]).toMatchObject({ component: 'payment-service', kind: 'bad_deploy' });
      expect(plan).toBeNull();
      expect(planNotes?.join(' ')).toMatch(new RegExp(`already rolled back by sre-copilot .*would redeploy ${bad.replaceAll('.', '\\.')}`));

      // what the audit log remembers recognises the world's rollback as this incident's plan
      const remembered = markOwnActions(await rt.connectors.cmdb.snapshot(), await ownActions(rt.store));
      const rollbackChange = remembered.changes.find((c) => c.origin === 'remediation' && c.target === 'payment-service');
      expect(rollbackChange).toMatchObject({ kind: 'deploy', from: bad, to: good, incidentId: first.session.incident.id, planId: first.session.result.plan!.id });
      expect(remembered.changes.filter((c) => c.origin === 'remediation')).toHaveLength(1);
    } finally {
      await rt.close();
    }
  }, 120_000);
});
