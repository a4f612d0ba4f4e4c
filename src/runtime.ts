import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Mastra } from '@mastra/core';
import { buildExperts } from './agents/registry.js';
import { chooseModel } from './agents/model.js';
import { createNarrator, type Narrator } from './agents/narrator.js';
import { createLlmScriptWriter } from './agents/script-agent.js';
import { templateScriptWriter } from './remediation/script-writer.js';
import type { ChatChannel } from './chat/channel.js';
import type { Config } from './config.js';
import { createConnectors } from './connectors/registry.js';
import type { Connectors, MetricsSource } from './connectors/types.js';
import { Copilot } from './copilot/copilot.js';
import { createCopilotMastra } from './mastra/index.js';
import { Conversation } from './copilot/conversation.js';
import { loadRunbooks } from './knowledge/runbooks.js';
import { createConfiguredExecutor } from './remediation/executors/registry.js';
import { withOwnActions } from './remediation/own-actions.js';
import { configureRedaction } from './redaction/redact.js';
import { openStore } from './storage/registry.js';
import type { IncidentStore } from './storage/types.js';
import { createWorld } from './world/index.js';
import type { ScenarioWorld } from './world/types.js';

/**
 * The composition root: reads nothing from the environment itself (Config arrives validated) and wires the
 * registries — connectors, expert agents, storage, chat channel, executor — into one Copilot.
 */
export interface ScenarioRuntime {
  world: ScenarioWorld;
  copilot: Copilot;
  conversation: Conversation;
  connectors: Connectors;
  store: IncidentStore;
  mastra: Mastra;
  narrator: Narrator | null;
  close(): Promise<void>;
}

export const DETERMINISTIC_AUTHOR = 'the deterministic planner and templates (no LLM)';

/**
 * Reads the scenario world's metrics through another source (e.g. a Prometheus the world's metrics were loaded
 * into), so that a benchmark measures the real connector on the world's incidents. Logs, traces and the CMDB still
 * come from the world's files.
 */
export type MetricsVia = (world: ScenarioWorld) => Promise<{ metrics: MetricsSource; close(): Promise<void> }>;

export async function createScenarioRuntime(opts: {
  config: Config;
  scenario: string;
  seed: number;
  channel: ChatChannel;
  metricsVia?: MetricsVia;
}): Promise<ScenarioRuntime> {
  const shared = await assembleWorldRuntime(opts.config, opts.scenario, opts.seed, `${opts.scenario}-seed${opts.seed}`, opts.metricsVia);
  const { world, connectors, store, mastra, narrator } = shared;
  const copilot = shared.copilotFor(opts.channel);
  return { world, copilot, conversation: shared.conversationFor(copilot), connectors, store, mastra, narrator, close: shared.close };
}

/**
 * The serve runtime: one scenario world (the bundled data source by default) and one store shared by every chat
 * adapter; each adapter gets its own Copilot with its own channel and approvers (`copilotFor`).
 */
export interface ServeRuntime {
  world: ScenarioWorld;
  scenario: string;
  seed: number;
  connectors: Connectors;
  store: IncidentStore;
  mastra: Mastra;
  narrator: Narrator | null;
  runbooks: Awaited<ReturnType<typeof loadRunbooks>>;
  copilotFor(channel: ChatChannel, opts?: { approvers?: string[]; isInApproverGroup?: (actor: string, approvers: string[]) => Promise<boolean> }): Copilot;
  /** the conversation layer over a copilot: commands, alert parsing and de-duplication, the same for every adapter */
  conversationFor(copilot: Copilot): Conversation;
  close(): Promise<void>;
}

export async function createServeRuntime(opts: { config: Config; scenario?: string; seed?: number }): Promise<ServeRuntime> {
  const scenario = opts.scenario ?? 'bad-deploy-payment';
  const seed = opts.seed ?? 1;
  return assembleWorldRuntime(opts.config, scenario, seed, `serve-${scenario}-seed${seed}`);
}

/** One scenario world with its connectors, agents, store and narrator; Copilots are made per chat channel. */
async function assembleWorldRuntime(config: Config, scenario: string, seed: number, folder: string, metricsVia?: MetricsVia): Promise<ServeRuntime> {
  // first: the deployment's own patterns apply to everything posted, logged, stored or sent to an LLM from here on
  configureRedaction({ patterns: config.redactPatterns ?? [] });
  const dir = path.join(config.home, 'worlds', folder);
  const world = createWorld({ scenario, seed, dir }); // validates the name before touching disk
  await rm(dir, { recursive: true, force: true }); // a run replays its scenario from scratch
  await world.start();
  const store = await openStore(config.storage, config.home);
  const files = createConnectors({ kind: 'files', dir: world.dir });
  // what the copilot itself executed reads as remediation in the change history, never as a suspect change
  // (the world is new for this run: only what the copilot does from now on is part of its history)
  const via = metricsVia ? await metricsVia(world) : null;
  const connectors: Connectors = { ...files, ...(via ? { metrics: via.metrics } : {}), cmdb: withOwnActions(files.cmdb, store, { sinceWallMs: Date.now() }) };
  const model = chooseModel(config.llm);
  const experts = buildExperts(connectors, model);
  // the Mastra instance: the experts as agents, the incident lifecycle as a workflow whose runs outlive the process
  const { mastra, lifecycle, close: closeMastra } = await createCopilotMastra({ home: config.home, experts });
  const narrator = createNarrator(model, config.llm?.timeoutMs ?? 30_000);
  const runbooks = await loadRunbooks(config.runbooksDir);
  const executor = createConfiguredExecutor({ config, world });
  // an LLM drafts scripts first when one is configured; the reviewed templates are the fallback either way
  const llmWriter = createLlmScriptWriter(model, config.llm?.timeoutMs ?? 30_000);
  const scriptWriters = llmWriter ? [llmWriter, templateScriptWriter] : [templateScriptWriter];
  const author = narrator ? `${DETERMINISTIC_AUTHOR}; the explanation by ${narrator.label}` : DETERMINISTIC_AUTHOR;
  return {
    world,
    scenario,
    seed,
    connectors,
    store,
    mastra,
    narrator,
    runbooks,
    conversationFor: (copilot) =>
      new Conversation({
        copilot,
        store,
        knownServices: async () => (await connectors.cmdb.snapshot()).services.map((s) => s.name),
        changes: async (sinceMinutes) => (await connectors.cmdb.snapshot()).changes.filter((c) => c.ts >= world.now() - sinceMinutes * 60_000),
        runbooks,
        now: () => world.now(),
        narrator,
        // the scenario world's firing alert is what a bare "diagnose" investigates
        firingAlert: () => JSON.stringify(world.alertPayload()),
        idleStatus: () => `An alert is firing (${world.def.description}); nobody has asked me to diagnose it yet.`,
        alignAlert: (alert) => alignToWorldClock(alert, world),
      }),
    copilotFor: (channel, extra = {}) =>
      new Copilot({
        config,
        store,
        connectors,
        experts: experts.map((e) => e.runner),
        channel,
        executor,
        runbooks,
        scriptWriters,
        clock: { now: () => world.now(), wait: (minutes) => world.advance(minutes) },
        author,
        narrator,
        lifecycle,
        ...(extra.approvers ? { approvers: extra.approvers } : {}),
        ...(extra.isInApproverGroup ? { isInApproverGroup: extra.isInApproverGroup } : {}),
      }),
    close: async () => {
      await store.close();
      await closeMastra();
      await via?.close();
    },
  };
}

/**
 * The scenario world is a data source with its own clock: its telemetry ends at `world.now()`. An alert stamped with
 * another clock (the wall clock of whoever posted it) is read as firing now in the world, so that it is investigated
 * over the world's data rather than an empty window. Alerts already inside the world's time line keep their time.
 */
export function alignToWorldClock<A extends { startsAt: number }>(alert: A, world: Pick<ScenarioWorld, 'now'>, historyMs = 6 * 60 * 60_000): A {
  const now = world.now();
  return alert.startsAt <= now && alert.startsAt >= now - historyMs ? alert : { ...alert, startsAt: now };
}
