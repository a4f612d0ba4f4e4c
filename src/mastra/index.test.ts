import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { __hookHandlerCount } from '@mastra/core/hooks';
import { describe, expect, it } from 'vitest';
import { createChannel } from '../bot/registry.js';
import { EXPERT_SPECS } from '../agents/registry.js';
import { createScenarioRuntime } from '../runtime.js';
import { testConfig } from '../../test/helpers.js';
import { createCopilotMastra, inMemoryLifecycle, openLifecycleRuns } from './index.js';

/**
 * Every Mastra adds a handler to @mastra/core's module-level hook emitter; while it is there, the instance and all it
 * references (agents, tools, connectors, the scenario world) stay in memory. A closed Mastra must leave none behind,
 * or each runtime a benchmark or a long-lived process creates and closes is kept forever.
 */
const handlers = () => __hookHandlerCount('onScorerRun');

describe('Mastra instances leave no module-level hook behind', () => {
  it('createCopilotMastra: close removes what the instance registered', async () => {
    const before = handlers();
    for (let i = 0; i < 3; i++) {
      const home = await mkdtemp(path.join(os.tmpdir(), 'sre-copilot-mastra-'));
      const m = await createCopilotMastra({ home, experts: [] });
      expect(handlers()).toBe(before + 1);
      await m.close();
      expect(handlers()).toBe(before);
    }
  });

  it('openLifecycleRuns: close removes it too', async () => {
    const before = handlers();
    const home = await mkdtemp(path.join(os.tmpdir(), 'sre-copilot-mastra-'));
    const { close } = await openLifecycleRuns(home);
    await close();
    expect(handlers()).toBe(before);
  });

  it('inMemoryLifecycle, which nothing closes, registers none', () => {
    const before = handlers();
    inMemoryLifecycle(EXPERT_SPECS);
    inMemoryLifecycle(EXPERT_SPECS);
    expect(handlers()).toBe(before);
  });

  it('a scenario runtime, once closed, leaves none', async () => {
    const before = handlers();
    const runtime = await createScenarioRuntime({ config: await testConfig(), scenario: 'bad-deploy-payment', seed: 1, channel: createChannel('console', { stream: null }) });
    expect(handlers()).toBeGreaterThan(before);
    await runtime.close();
    expect(handlers()).toBe(before);
  });
});
