import { describe, expect, it } from 'vitest';
import { ConsoleChannel } from '../src/bot/console-channel.js';
import { createScenarioRuntime } from '../src/runtime.js';
import { testConfig } from './helpers.js';

describe('the copilot in a console thread', () => {
  it('answers a malformed alert with a clear error and opens nothing', async () => {
    const channel = new ConsoleChannel({ stream: null });
    const runtime = await createScenarioRuntime({ config: await testConfig(), scenario: 'bad-deploy-payment', seed: 3, channel });
    try {
      const outcome = await runtime.copilot.handleAlertText('{"alerts": [ {"labels": ');
      expect(outcome).toEqual({ ok: false, error: expect.stringMatching(/malformed/) });
      expect(channel.transcript()).toMatch(/could not read that alert/);
      expect(await runtime.store.listIncidents()).toEqual([]);
    } finally {
      await runtime.close();
    }
  });

  it('threads the diagnosis, refuses a non-approver, executes once for an approver, and audits every step', async () => {
    const channel = new ConsoleChannel({ stream: null });
    const config = await testConfig();
    const runtime = await createScenarioRuntime({ config, scenario: 'bad-deploy-payment', seed: 3, channel });
    try {
      const opened = await runtime.copilot.handleAlertText(JSON.stringify(runtime.world.alertPayload()));
      if (!opened.ok) throw new Error(opened.error);
      const id = opened.session.incident.id;
      const transcript = channel.transcript();
      for (const expert of ['LogAgent', 'TraceAgent', 'TradeAgent', 'MonitorAgent', 'CMDBAgent']) expect(transcript).toContain(expert);
      expect(transcript).toMatch(/Approve/);

      const refused = await runtime.copilot.decide(id, 'mallory', 'approved');
      expect(refused).toEqual({ ok: false, error: expect.stringMatching(/mallory may not approve/) });
      expect(runtime.copilot.session(id)!.execution).toBeNull();

      const approved = await runtime.copilot.decide(id, 'alice', 'approved');
      expect(approved.ok).toBe(true);
      expect(runtime.copilot.session(id)!.execution?.status).toBe('succeeded');
      const again = await runtime.copilot.decide(id, 'alice', 'approved');
      expect(again).toEqual({ ok: false, error: expect.stringMatching(/already approved/) });

      const audit = (await runtime.store.listAudit({ incidentId: id })).map((e) => `${e.type}:${e.actor}`);
      expect(audit).toEqual(['proposed:sre-copilot', 'refused:mallory', 'approved:alice', 'executed:alice', 'verified:sre-copilot', 'refused:alice']);
    } finally {
      await runtime.close();
    }
  });

  it('refuses an expired proposal and never executes it', async () => {
    const channel = new ConsoleChannel({ stream: null });
    const runtime = await createScenarioRuntime({ config: await testConfig({ SRE_COPILOT_PLAN_TTL_MINUTES: '30' }), scenario: 'bad-deploy-payment', seed: 3, channel });
    try {
      const opened = await runtime.copilot.handleAlertText(JSON.stringify(runtime.world.alertPayload()));
      if (!opened.ok) throw new Error(opened.error);
      const id = opened.session.incident.id;
      await runtime.world.advance(31);
      const late = await runtime.copilot.decide(id, 'alice', 'approved');
      expect(late).toEqual({ ok: false, error: expect.stringMatching(/expired/) });
      expect(runtime.copilot.session(id)!.execution).toBeNull();
      expect(channel.transcript()).toMatch(/Refused: the plan expired/);
      const audit = (await runtime.store.listAudit({ incidentId: id })).map((e) => e.type);
      expect(audit).toEqual(['proposed', 'refused']);
    } finally {
      await runtime.close();
    }
  });
});
