import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConsoleChannel } from '../src/bot/console-channel.js';
import { createServeRuntime } from '../src/runtime.js';
import { testConfig } from './helpers.js';

/**
 * The knowledge base at work: a diagnosis cites the runbook for its fault kind; a fix verified as recovered teaches it
 * the incident, so that a repeat of the same fault (a later run, a fresh world, the same home) cites the earlier
 * incident and what fixed it — in the thread, the session and the report — even from a process whose own knowledge
 * base never saw it (the shared store carries what was learned). A person's stated cause replaces the bot's.
 */
describe('the knowledge base in an incident', () => {
  it('cites the runbook, learns a resolved incident, and cites it with its fix when the fault repeats', async () => {
    const config = await testConfig();
    const first = await createServeRuntime({ config, scenario: 'bad-deploy-payment', seed: 1 });
    let firstId: string;
    try {
      const copilot = first.copilotFor(new ConsoleChannel({ stream: null }));
      const opened = await copilot.handleAlertText(JSON.stringify(first.world!.alertPayload()));
      if (!opened.ok) throw new Error(opened.error);
      firstId = opened.session.incident.id;
      expect(opened.session.citations?.[0]).toMatchObject({ kind: 'runbook', title: 'Errors after a deploy', why: expect.stringMatching(/same fault kind \(bad_deploy\)/) });
      // nothing resolved yet: no past incident to cite
      expect(opened.session.citations?.some((c) => c.kind === 'incident')).toBe(false);
      const decided = await copilot.decide(firstId, 'alice', 'approved');
      expect(decided.ok && decided.session.verification?.recovered).toBe(true);
    } finally {
      await first.close();
    }
    // the repeat is handled by another process, whose own knowledge base never saw the first incident (a worker on
    // another machine): what was learned reaches it through the shared store
    await rm(path.join(config.home, 'knowledge.db'), { force: true });

    const again = await createServeRuntime({ config, scenario: 'bad-deploy-payment', seed: 2 });
    try {
      const thread = new ConsoleChannel({ stream: null });
      const copilot = again.copilotFor(thread);
      const opened = await copilot.handleAlertText(JSON.stringify(again.world!.alertPayload()));
      if (!opened.ok) throw new Error(opened.error);
      const past = opened.session.citations?.find((c) => c.kind === 'incident');
      expect(past).toMatchObject({ source: firstId, why: expect.stringMatching(/same fault kind \(bad_deploy\), same service \(payment-service\)/) });
      expect(past?.fixed).toMatch(/Roll back payment-service .*: succeeded .* recovered/);
      expect(thread.transcript()).toMatch(new RegExp(`🔁 What fixed this last time \\(${firstId}`));
      const report = await readFile(opened.session.report.path, 'utf8');
      expect(report).toContain(`incident: ${firstId}`);
      expect(report).toContain(`../${firstId}/report.md`);

      // a person corrects the cause in the thread: the knowledge base keeps their words
      const conversation = again.conversationFor(copilot);
      const reply = await conversation.message('root cause was a feature flag flipped with the deploy', { thread: null, user: 'alice' });
      expect(reply.text).toMatch(/^📚 Noted/);
      const kb = await import('../src/knowledge/kb.js').then((m) => m.openKnowledgeBase(config));
      try {
        expect(kb.document(opened.session.incident.id)?.text).toMatch(/## Root cause\na feature flag flipped with the deploy \(stated by alice\)/);
      } finally {
        await kb.close();
      }
      const answer = await conversation.message('how do we roll back a bad deploy?', { thread: null, user: 'alice' });
      expect(answer.text).toMatch(/^From the knowledge base:\n📘 Errors after a deploy/);
    } finally {
      await again.close();
    }
  }, 120_000);

  it('follows a team runbook ingested with kb ingest for the service it is written for', async () => {
    const config = await testConfig();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'team-runbooks-'));
    await writeFile(
      path.join(dir, 'payments-deploy.md'),
      '---\nid: rb-payments-deploy\ntitle: Payments bad deploy\nservice: payment-service\nfaults: [bad_deploy]\nowner: payments-team\nremediation:\n  - action: kubectl\n    params: { verb: rollout_undo }\n---\n# Payments bad deploy\n\n1. Undo the rollout.\n',
    );
    const kb = await import('../src/knowledge/kb.js').then((m) => m.openKnowledgeBase(config));
    expect(await kb.ingestPath(dir)).toMatchObject({ added: 1 });
    await kb.close();
    const runtime = await createServeRuntime({ config, scenario: 'bad-deploy-payment', seed: 1 });
    try {
      await runtime.knowledge(); // serve and workers open it at start
      const copilot = runtime.copilotFor(new ConsoleChannel({ stream: null }));
      const opened = await copilot.handleAlertText(JSON.stringify(runtime.world!.alertPayload()));
      if (!opened.ok) throw new Error(opened.error);
      expect(opened.session.result.plan).toMatchObject({ runbook: 'rb-payments-deploy', steps: [{ action: 'kubectl' }] });
      expect(opened.session.citations?.[0]).toMatchObject({ kind: 'runbook', title: 'Payments bad deploy', why: expect.stringMatching(/same service \(payment-service\)/) });
    } finally {
      await runtime.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
