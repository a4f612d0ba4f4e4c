import type { Config } from '../../config.js';
import type { ScenarioWorld } from '../../world/types.js';
import { createKubectlExecutor } from './kubectl.js';
import { createScenarioExecutor } from './scenario.js';
import { createShellExecutor } from './shell.js';
import type { Executor } from './types.js';
import { createRoutingExecutor } from './routing.js';
import { createHookExecutor, createWebhookExecutor } from './webhook.js';

export const EXECUTOR_NAMES = ['scenario', 'shell', 'webhook', 'kubectl'] as const;
export type ExecutorName = (typeof EXECUTOR_NAMES)[number];

export interface ExecutorContext {
  config: Config;
  /** the scenario world, for the scenario executor */
  world?: ScenarioWorld;
}

const FACTORIES: Record<ExecutorName, (ctx: ExecutorContext) => Executor> = {
  scenario: (ctx) => {
    if (!ctx.world) throw new Error('the scenario executor needs a scenario world');
    return createScenarioExecutor(ctx.world);
  },
  shell: ({ config }) => {
    const s = config.shell ?? { enabled: false, allow: [], cwd: process.cwd(), timeoutMs: 30_000 };
    return createShellExecutor({ enabled: s.enabled, allow: s.allow, cwd: s.cwd, timeoutMs: s.timeoutMs });
  },
  kubectl: ({ config }) => createKubectlExecutor(config.kubectl ?? { binary: 'kubectl', namespace: 'default', timeoutMs: 60_000 }),
  webhook: ({ config }) => {
    if (!config.webhook) throw new Error('the webhook executor needs SRE_COPILOT_WEBHOOK_URL');
    return createWebhookExecutor({ url: config.webhook.url, timeoutMs: config.webhook.timeoutMs });
  },
};

/** Every executor behind the one interface, by name. */
export function createExecutor(name: string, ctx: ExecutorContext): Executor {
  if (!(EXECUTOR_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown executor "${name}"; known: ${EXECUTOR_NAMES.join(', ')}`);
  }
  return FACTORIES[name as ExecutorName](ctx);
}

/**
 * The executor a copilot runs plans with: the configured one (SRE_COPILOT_EXECUTOR, default the scenario world) for
 * registered actions, with generated scripts routed to the shell executor (off unless enabled), `call_webhook`
 * steps to the configured hooks, and `kubectl` steps to kubectl — except in the scenario world, which simulates its
 * own cluster.
 */
export function createConfiguredExecutor(ctx: ExecutorContext): Executor {
  const baseName = ctx.config.executor ?? (ctx.world ? 'scenario' : 'shell');
  const base = createExecutor(baseName, ctx);
  const hooks = createHookExecutor({ hooks: ctx.config.hooks ?? {}, timeoutMs: ctx.config.webhook?.timeoutMs ?? 10_000 });
  return createRoutingExecutor(base, {
    call_webhook: hooks,
    ...(baseName === 'shell' ? {} : { run_script: createExecutor('shell', ctx) }),
    ...(baseName === 'scenario' || baseName === 'kubectl' ? {} : { kubectl: createExecutor('kubectl', ctx) }),
  });
}
