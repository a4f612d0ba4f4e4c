import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChatChannel } from '../src/chat/channel.js';
import { ConsoleChannel } from '../src/bot/console-channel.js';
import type { Config } from '../src/config.js';
import { LIFECYCLE_KEY } from '../src/mastra/index.js';
import { createScenarioRuntime } from '../src/runtime.js';
import { testConfig } from './helpers.js';

/** Two processes in a row on one home: the second restores what the first left in storage and the audit log. */
async function boot(config: Config) {
  const channel = new ConsoleChannel({ stream: null });
  const runtime = await createScenarioRuntime({ config, scenario: 'bad-deploy-payment', seed: 6, channel });
  return { runtime, channel };
}

describe('after a restart', () => {
  it('a pending high-risk plan keeps its first approval, still needs a different second one, then runs once', async () => {
    const runbooks = await mkdtemp(path.join(os.tmpdir(), 'runbooks-'));
    await writeFile(path.join(runbooks, 'rb.md'), ['---', 'id: rb-careful', 'title: careful', 'faults: [bad_deploy]', 'remediation:', '  - action: rollback_deploy', '    risk: high', '---', 'x'].join('\n'));
    const config = await testConfig({ SRE_COPILOT_APPROVERS: 'alice,bob', SRE_COPILOT_RUNBOOKS: runbooks });

    const first = await boot(config);
    const opened = await first.runtime.copilot.handleAlertText(JSON.stringify(first.runtime.world.alertPayload()));
    if (!opened.ok) throw new Error(opened.error);
    const id = opened.session.incident.id;
    expect(opened.session.result.plan!.risk).toBe('high');
    expect((await first.runtime.copilot.decide(id, 'alice', 'approved')).ok).toBe(true);
    expect(first.runtime.copilot.session(id)!.execution).toBeNull();
    // the plan waits in the incident's lifecycle run, suspended at its approval step with alice's approval kept
    const waiting = await first.runtime.mastra.getWorkflow(LIFECYCLE_KEY).listWorkflowRuns({ resourceId: id, status: 'suspended' });
    expect(waiting.runs).toHaveLength(1);
    expect(JSON.stringify(waiting.runs[0]!.snapshot)).toMatch(/"approvals":\[\{[^\]]*"actor":"alice"/);
    await first.runtime.close();

    const second = await boot(config);
    try {
      expect(second.runtime.copilot.session(id)).toBeUndefined();
      const restored = await second.runtime.copilot.restore();
      expect(restored.map((s) => s.incident.id)).toEqual([id]);
      expect(second.runtime.copilot.latest!.approvals!.map((a) => a.actor)).toEqual(['alice']);
      expect(await second.runtime.copilot.decide(id, 'alice', 'approved')).toEqual({ ok: false, error: expect.stringMatching(/alice already approved/) });
      const done = await second.runtime.copilot.decide(id, 'bob', 'approved');
      expect(done.ok).toBe(true);
      expect(second.runtime.copilot.session(id)!.execution!.status).toBe('succeeded');
      expect(second.runtime.copilot.session(id)!.verification!.recovered).toBe(true);
    } finally {
      await second.runtime.close();
    }

    // a decided plan is not brought back: nothing can decide or run it again
    const third = await boot(config);
    let id2 = '';
    try {
      expect(await third.runtime.copilot.restore()).toEqual([]);
      expect(await third.runtime.copilot.decide(id, 'alice', 'approved')).toEqual({ ok: false, error: `no plan awaits a decision for ${id}` });
      // the same alert firing again is a new proposal (a new incident), and only this proposal's approvals count
      const again = await third.runtime.copilot.handleAlertText(JSON.stringify(third.runtime.world.alertPayload()));
      if (!again.ok) throw new Error(again.error);
      id2 = again.session.incident.id;
      expect(id2).not.toBe(id);
      expect((await third.runtime.copilot.decide(id2, 'bob', 'approved')).ok).toBe(true);
      expect(third.runtime.copilot.session(id2)!.execution).toBeNull();
    } finally {
      await third.runtime.close();
    }

    const fourth = await boot(config);
    try {
      const restored = await fourth.runtime.copilot.restore();
      expect(restored.map((s) => s.incident.id)).toEqual([id2]);
      expect(restored[0]!.approvals!.map((a) => a.actor)).toEqual(['bob']);
      expect(restored[0]!.approval).toBeNull();
      expect(restored[0]!.execution).toBeNull();
      expect(await fourth.runtime.copilot.decide(id, 'bob', 'approved')).toEqual({ ok: false, error: `no plan awaits a decision for ${id}` });
      const executed = (await fourth.runtime.store.listAudit()).filter((e) => e.type === 'executed');
      expect(executed.map((e) => e.incidentId)).toEqual([id]);
    } finally {
      await fourth.runtime.close();
    }
  });

  it('restores only the incidents of its own channel, and nothing from an empty home', async () => {
    const config = await testConfig();
    const first = await boot(config);
    try {
      expect(await first.runtime.copilot.restore()).toEqual([]);
      expect((await first.runtime.copilot.handleAlertText(JSON.stringify(first.runtime.world.alertPayload()))).ok).toBe(true);
    } finally {
      await first.runtime.close();
    }
    const slackLike: ChatChannel = { name: 'slack', post: async () => ({ threadId: 't', messageId: 'm' }), update: async () => undefined };
    const elsewhere = await createScenarioRuntime({ config, scenario: 'bad-deploy-payment', seed: 6, channel: slackLike });
    try {
      expect(await elsewhere.copilot.restore()).toEqual([]);
    } finally {
      await elsewhere.close();
    }
    const again = await boot(config);
    try {
      expect(await again.runtime.copilot.restore()).toHaveLength(1);
    } finally {
      await again.runtime.close();
    }
  });
});
