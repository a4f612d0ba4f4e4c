import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsoleChannel } from '../src/bot/console-channel.js';
import { createScenarioRuntime } from '../src/runtime.js';
import { startFakeLlm, type FakeLlm } from './fake-llm-server.js';
import { testConfig } from './helpers.js';

let llm: FakeLlm | null = null;
afterEach(async () => {
  await llm?.close();
  llm = null;
});

async function diagnoseWith(env: Record<string, string>) {
  const channel = new ConsoleChannel({ stream: null });
  const runtime = await createScenarioRuntime({ config: await testConfig(env), scenario: 'memory-leak-cart', seed: 5, channel });
  try {
    const opened = await runtime.copilot.handleAlertText(JSON.stringify(runtime.world.alertPayload()));
    if (!opened.ok) throw new Error(opened.error);
    return { session: opened.session, transcript: channel.transcript() };
  } finally {
    await runtime.close();
  }
}

describe('with an LLM configured', () => {
  for (const provider of ['openai', 'anthropic'] as const) {
    it(`${provider}: explains the deterministic diagnosis in the thread and the report, from redacted facts`, async () => {
      llm = await startFakeLlm({ reply: 'The cart service leaks memory until it is OOM-killed; restarting it buys time.' });
      const { session, transcript } = await diagnoseWith({ LLM_PROVIDER: provider, LLM_BASE_URL: llm.url, LLM_API_KEY: 'sk-test-key-123', LLM_MODEL: 'scripted' });
      expect(llm.requests.length).toBeGreaterThan(0);
      const request = llm.requests[0]!;
      expect(request.path).toBe(provider === 'openai' ? '/v1/chat/completions' : '/v1/messages');
      expect(JSON.stringify(request.headers)).toContain('sk-test-key-123');
      expect(request.body).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.|4111[ -]?1111|password=\S/);
      expect(transcript).toContain('The cart service leaks memory');
      expect(session.result.ranked[0]).toMatchObject({ component: 'cart-service', kind: 'memory_leak' });
      const report = readFileSync(session.report.path, 'utf8');
      expect(report).toMatch(/## Explanation[\s\S]*leaks memory/);
      expect(report).toContain(`${provider} scripted`);
    });
  }

  it('a slow LLM costs only the explanation: the diagnosis and plan still arrive', async () => {
    llm = await startFakeLlm({ reply: 'too late', delayMs: 3_000 });
    const { session, transcript } = await diagnoseWith({ LLM_PROVIDER: 'openai', LLM_BASE_URL: llm.url, LLM_API_KEY: 'k', LLM_TIMEOUT_MS: '300' });
    expect(transcript).toMatch(/No explanation from openai .*no answer within/);
    expect(transcript).not.toContain('too late');
    expect(session.result.plan).not.toBeNull();
  });
});

describe('knowledge-base questions with an LLM configured', () => {
  async function ask(reply: string, question: string) {
    llm = await startFakeLlm({ reply });
    const config = await testConfig({ LLM_PROVIDER: 'openai', LLM_BASE_URL: llm.url, LLM_API_KEY: 'sk-test-key-123', LLM_MODEL: 'scripted' });
    const runtime = await createScenarioRuntime({ config, scenario: 'bad-deploy-payment', seed: 1, channel: new ConsoleChannel({ stream: null }) });
    try {
      return (await runtime.conversation.message(question, { thread: null, user: 'alice' })).text;
    } finally {
      await runtime.close();
    }
  }

  it('answers from the passages it found, citing them, and says who wrote it', async () => {
    const text = await ask('Roll the service back to the previous version, then watch the error rate [1].', 'how do we roll back a bad deploy?');
    expect(text).toMatch(/^Roll the service back to the previous version, then watch the error rate \[1\]\.\nSources:\n\[1\] 📘 Errors after a deploy \(`[^`]*rb-bad-deploy\.md`\)/);
    expect(text).toMatch(/\(written by openai scripted from the knowledge base\)$/);
    // the model saw the question and the runbook's passage, fenced as data
    const body = llm!.requests.at(-1)!.body;
    expect(body).toContain('how do we roll back a bad deploy?');
    expect(body).toMatch(/Errors after a deploy/);
    expect(body).toContain('<data>');
  });

  it('says plainly when the knowledge base holds no answer', async () => {
    const text = await ask('The knowledge base has no answer to that.', 'how do we renew the office wifi certificate?');
    expect(text).toMatch(/^The knowledge base has no answer to that\. \(openai scripted read the closest passages: \[1\] /);
  });
});
