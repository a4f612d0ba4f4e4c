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
