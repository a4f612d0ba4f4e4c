import type { Incident } from './model/incident.js';
import type { KnowledgeBase } from './knowledge/kb.js';
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
import type { Cmdb } from './model/telemetry.js';
import { Copilot } from './copilot/copilot.js';
import { createCopilotMastra } from './mastra/index.js';
import { Conversation } from './copilot/conversation.js';
import { loadRunbooks, type Runbook, typedRunbookFrom } from './knowledge/runbooks.js';
import { createConfiguredExecutor } from './remediation/executors/registry.js';
import { withOwnActions } from './remediation/own-actions.js';
import { configureRedaction } from './redaction/redact.js';
import { openConfiguredStore } from './storage/registry.js';
import type { IncidentStore } from './storage/types.js';
import { createWorld } from './world/index.js';
import { DEFAULT_OTLP_LIMITS, OtlpStore } from './connectors/otlp/store.js';
import { dataSourceMode, liveConnectors } from './connectors/sources.js';
import { type DataSide, delegating, liveSide, switchOnOtlp, worldSide } from './data-source.js';
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
 * The serve runtime: one data source and one store shared by every chat adapter; each adapter gets its own Copilot
 * with its own channel and approvers (`copilotFor`). The data source is the real telemetry when any is configured
 * (connectors/sources.ts), the scenario world when none is, and in `auto` mode it moves from the world to the OTLP
 * receiver's data once some arrives.
 */
export interface ServeRuntime {
  /** the scenario world while it is the data source; null on real telemetry */
  readonly world: ScenarioWorld | null;
  scenario: string;
  seed: number;
  /** what is read now: the world or the real sources, how to name it, which signals are missing */
  source(): Pick<DataSide, 'mode' | 'label' | 'note'>;
  /** the data's clock: the world's simulated one, else the wall clock */
  now(): number;
  /** where the OTLP receiver stores what it gets (read as a source on real telemetry) */
  otlp: OtlpStore;
  connectors: Connectors;
  store: IncidentStore;
  mastra: Mastra;
  narrator: Narrator | null;
  runbooks: Awaited<ReturnType<typeof loadRunbooks>>;
  copilotFor(channel: ChatChannel, opts?: { approvers?: string[]; isInApproverGroup?: (actor: string, approvers: string[]) => Promise<boolean> }): Copilot;
  /** the conversation layer over a copilot: commands, alert parsing and de-duplication, the same for every adapter */
  conversationFor(copilot: Copilot): Conversation;
  /** the knowledge base, opened on first use (a long-running process opens it at start, before anyone waits on it) */
  knowledge(): Promise<KnowledgeBase>;
  close(): Promise<void>;
}

export { dataSourceMode } from './connectors/sources.js';

export async function createServeRuntime(opts: {
  config: Config;
  scenario?: string;
  seed?: number;
  log?: (line: string) => void;
  purpose?: 'serve' | 'investigate' | 'worker';
  /** cluster mode: every copilot hands its investigations to the job queue (see CopilotDeps.dispatch) */
  dispatch?: (incident: Incident) => Promise<void>;
}): Promise<ServeRuntime> {
  const { config } = opts;
  const scenario = opts.scenario ?? 'bad-deploy-payment';
  const seed = opts.seed ?? 1;
  const mode = dataSourceMode(config);
  configureRedaction({ patterns: config.redactPatterns ?? [] });
  const otlp = new OtlpStore(config.otlp ?? DEFAULT_OTLP_LIMITS);
  const store = await openConfiguredStore(config);
  try {
    let worldPart: DataSide | null = null;
    if (mode !== 'live') {
      // its own folder: `investigate` must not rewrite the world a running serve reads
      // workers sharing a home each replay the world in a folder of their own
      const purpose = opts.purpose === 'worker' ? `worker-${process.pid}` : (opts.purpose ?? 'serve');
      const world = await startWorld(config, scenario, seed, `${purpose}-${scenario}-seed${seed}`);
      worldPart = worldDataSide(config, store, world, scenario, seed);
    }
    let livePart: DataSide | null = null;
    if (mode !== 'world') {
      const live = liveConnectors({ settings: config.sources ?? {}, otlp, now: Date.now });
      const connectors: Connectors = { ...live, cmdb: withOwnActions(live.cmdb, store) };
      livePart = liveSide(live, connectors, createLiveExecutor(config));
    }
    const active =
      worldPart && livePart
        ? switchOnOtlp(worldPart, livePart, otlp, () => opts.log?.('sources: OTLP data received: investigations now read the received telemetry instead of the scenario world'))
        : ((only: DataSide) => () => only)((worldPart ?? livePart)!);
    return await assemble({ config, store, otlp, active, scenario, seed, ...(opts.dispatch ? { dispatch: opts.dispatch } : {}) });
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** On real telemetry the scenario world's simulated cluster is not there to act on: say so rather than pretend. */
function createLiveExecutor(config: Config) {
  if (config.executor === 'scenario') {
    throw new Error('SRE_COPILOT_EXECUTOR=scenario acts on the scenario world, which is not the data source here (real sources are configured): choose shell, webhook or kubectl, or set SRE_COPILOT_WORLD=scenario');
  }
  return createConfiguredExecutor({ config });
}

async function startWorld(config: Config, scenario: string, seed: number, folder: string): Promise<ScenarioWorld> {
  const dir = path.join(config.home, 'worlds', folder);
  const world = createWorld({ scenario, seed, dir }); // validates the name before touching disk
  await rm(dir, { recursive: true, force: true }); // a run replays its scenario from scratch
  await world.start();
  return world;
}

/**
 * The scenario world as a data side: its files (metrics possibly read through another source), its clock, its
 * simulated cluster. What the copilot itself executed reads as remediation in the change history, never as a suspect
 * change; the world is new for this run, so only what the copilot does from now on is part of its history.
 */
function worldDataSide(config: Config, store: IncidentStore, world: ScenarioWorld, scenario: string, seed: number, metrics?: MetricsSource): DataSide {
  const files = createConnectors({ kind: 'files', dir: world.dir });
  const connectors: Connectors = { ...files, ...(metrics ? { metrics } : {}), cmdb: withOwnActions(files.cmdb, store, { sinceWallMs: Date.now() }) };
  return worldSide(world, connectors, createConfiguredExecutor({ config, world }), scenario, seed);
}

/** One scenario world with its connectors, agents, store and narrator (demo, chat, benchmarks). */
async function assembleWorldRuntime(config: Config, scenario: string, seed: number, folder: string, metricsVia?: MetricsVia): Promise<ServeRuntime & { world: ScenarioWorld }> {
  // first: the deployment's own patterns apply to everything posted, logged, stored or sent to an LLM from here on
  configureRedaction({ patterns: config.redactPatterns ?? [] });
  const world = await startWorld(config, scenario, seed, folder);
  const store = await openConfiguredStore(config);
  const via = metricsVia ? await metricsVia(world) : null;
  const side = worldDataSide(config, store, world, scenario, seed, via?.metrics);
  const runtime = await assemble({ config, store, otlp: new OtlpStore(config.otlp ?? DEFAULT_OTLP_LIMITS), active: () => side, scenario, seed });
  return { ...runtime, world, close: async () => (await runtime.close(), await via?.close()) };
}

/** Agents, Mastra, narrator, runbooks and script writers over whichever data side is active. */
async function assemble(opts: {
  config: Config;
  store: IncidentStore;
  otlp: OtlpStore;
  active: () => DataSide;
  scenario: string;
  seed: number;
  dispatch?: (incident: Incident) => Promise<void>;
}): Promise<ServeRuntime> {
  const { config, store, active } = opts;
  const { connectors, executor } = delegating(active);
  const model = chooseModel(config.llm);
  const experts = buildExperts(connectors, model);
  // the Mastra instance: the experts as agents, the incident lifecycle as a workflow whose runs outlive the process
  const { mastra, lifecycle, close: closeMastra } = await createCopilotMastra({ home: config.home, experts, ...(config.database ? { database: config.database } : {}) });
  const narrator = createNarrator(model, config.llm?.timeoutMs ?? 30_000);
  const runbooks = await loadRunbooks(config.runbooksDir);
  // an LLM drafts scripts first when one is configured; the reviewed templates are the fallback either way
  const llmWriter = createLlmScriptWriter(model, config.llm?.timeoutMs ?? 30_000);
  const scriptWriters = llmWriter ? [llmWriter, templateScriptWriter] : [templateScriptWriter];
  const author = narrator ? `${DETERMINISTIC_AUTHOR}; the explanation by ${narrator.label}` : DETERMINISTIC_AUTHOR;
  // opened on first use, or at start by a long-running process (openKnowledgeNow)
  let knowledgeBase: Promise<KnowledgeBase> | null = null;
  const knowledge = () => (knowledgeBase ??= import('./knowledge/kb.js').then(async (m) => withTeamRunbooks(await m.openKnowledgeBase(config), runbooks)));
  const now = () => active().now();
  // correlating one alert group asks about many pairs of components: one CMDB snapshot (which also reads the audit
  // trail for the copilot's own actions) serves a burst of them, instead of one each
  const topology = recentValue(() => connectors.cmdb.snapshot(), 2_000);
  return {
    get world() {
      return active().world;
    },
    scenario: opts.scenario,
    seed: opts.seed,
    source: () => {
      const { mode, label, note } = active();
      return { mode, label, note };
    },
    now,
    otlp: opts.otlp,
    connectors,
    store,
    mastra,
    narrator,
    runbooks,
    knowledge,
    conversationFor: (copilot) =>
      new Conversation({
        copilot,
        store,
        knownServices: async () => (await connectors.cmdb.snapshot()).services.map((s) => s.name),
        changes: async (sinceMinutes) => (await connectors.cmdb.snapshot()).changes.filter((c) => c.ts >= now() - sinceMinutes * 60_000),
        runbooks,
        now,
        narrator,
        // the scenario world's firing alert is what a bare "diagnose" investigates; real sources have no such alert
        firingAlert: () => {
          const world = active().world;
          return world ? JSON.stringify(world.alertPayload()) : null;
        },
        idleStatus: () => {
          const { world, label } = active();
          return world ? `An alert is firing (${world.def.description}); nobody has asked me to diagnose it yet.` : `No incident is open. I am watching ${label}.`;
        },
        alignAlert: (alert) => {
          const world = active().world;
          return world ? alignToWorldClock(alert, world) : alert;
        },
        related: async (a, b) => onOneCallPath(await topology(), a, b),
        knowledge,
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
        clock: { now, wait: (minutes) => active().wait(minutes) },
        author,
        narrator,
        lifecycle,
        dataSources: () => active().note(),
        ...(extra.approvers ? { approvers: extra.approvers } : {}),
        ...(extra.isInApproverGroup ? { isInApproverGroup: extra.isInApproverGroup } : {}),
        ...(opts.dispatch ? { dispatch: opts.dispatch } : {}),
        knowledge,
      }),
    close: async () => {
      await store.close();
      await closeMastra();
      await (await knowledgeBase?.catch(() => null))?.close();
    },
  };
}

/**
 * serve and workers open the knowledge base as they start rather than on the first question or diagnosis: a first use
 * on a new machine builds its word vectors. A knowledge base that cannot be opened costs citations, not diagnoses.
 */
export function openKnowledgeNow(runtime: Pick<ServeRuntime, 'knowledge'>, log: (line: string) => void): void {
  void runtime.knowledge().catch((err: unknown) => log(`kb: the knowledge base could not be opened: ${(err as Error).message} (diagnoses go on without citations)`));
}

/**
 * Runbooks ingested into the knowledge base with typed remediation steps join the ones the planner follows (a team's
 * own runbook for a service is then preferred over the generic one); one already loaded under the same id is kept.
 */
function withTeamRunbooks(kb: KnowledgeBase, runbooks: Runbook[]): KnowledgeBase {
  for (const { source, kind } of kb.list()) {
    const doc = kind === 'runbook' ? kb.document(source) : undefined;
    const runbook = doc ? typedRunbookFrom(doc) : null;
    if (runbook && !runbooks.some((r) => r.id === runbook.id)) runbooks.push(runbook);
  }
  return kb;
}

/** `read()`'s value, read again once it is older than `maxAgeMs`; concurrent callers share one read. */
function recentValue<T>(read: () => Promise<T>, maxAgeMs: number): () => Promise<T> {
  let held: { at: number; value: Promise<T> } | null = null;
  return () => {
    if (!held || Date.now() - held.at > maxAgeMs) {
      const value = read();
      held = { at: Date.now(), value };
      // a failed read is not kept: the next caller tries again
      value.catch(() => (held?.value === value ? (held = null) : undefined));
    }
    return held.value;
  };
}

/** Whether one component depends on the other, directly or through others (the CMDB's dependsOn). */
export function onOneCallPath(cmdb: Cmdb, a: string, b: string): boolean {
  if (a === b) return true;
  const deps = new Map(cmdb.services.map((s) => [s.name, s.dependsOn]));
  const reaches = (from: string, to: string) => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      const at = stack.pop()!;
      if (at === to) return true;
      if (seen.has(at)) continue;
      seen.add(at);
      stack.push(...(deps.get(at) ?? []));
    }
    return false;
  };
  return reaches(a, b) || reaches(b, a);
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
