import { describe, expect, it } from 'vitest';
import { ConsoleChannel } from '../src/bot/console-channel.js';
import { answer } from '../src/cli/chat.js';
import { createScenarioRuntime } from '../src/runtime.js';
import { testConfig } from './helpers.js';

describe('console chat', () => {
  it('walks an incident from question to verified fix, and survives nonsense', async () => {
    const config = await testConfig();
    const channel = new ConsoleChannel({ stream: null });
    const runtime = await createScenarioRuntime({ config, scenario: 'config-change-order', seed: 2, channel });
    try {
      expect(await answer(runtime, config, 'status')).toMatch(/nobody has asked me to diagnose it yet/);
      expect(await answer(runtime, config, 'show the report')).toMatch(/no report yet/);
      expect(await answer(runtime, config, 'approve')).toMatch(/no plan/);

      expect(await answer(runtime, config, '@sre-copilot why is checkout failing?')).toMatch(/Diagnosis posted/);
      expect(channel.transcript()).toMatch(/Ranked/);
      expect(await answer(runtime, config, 'why is checkout failing?')).toMatch(/Most likely configuration change on order-service/i);
      expect(await answer(runtime, config, 'status')).toMatch(/plan proposed, awaiting approval from alice/);

      const changes = await answer(runtime, config, 'what changed in the last hour?');
      expect(changes).toMatch(/config\s+order-service/);

      expect(await answer(runtime, config, 'rm -rf / please')).toMatch(/I did not understand/);
      expect(await answer(runtime, config, 'dry run')).toMatch(/Dry run posted in the thread; nothing was executed/);
      expect(channel.transcript()).toMatch(/Dry run with the scenario executor \(nothing was executed\):\n.*step-1: \[dry-run\] would run: Revert configuration change/);
      expect(runtime.copilot.latest!.execution).toBeNull();
      expect(await answer(runtime, config, 'rollback')).toMatch(/Not done: no step failed/);
      expect(await answer(runtime, config, 'approve')).toMatch(/Done/);
      expect(await answer(runtime, config, 'status')).toMatch(/resolved: fixed and recovery verified/);
      expect(await answer(runtime, config, 'show the report')).toMatch(/# Incident report/);
    } finally {
      await runtime.close();
    }
  });
});
