import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Mastra } from '@mastra/core';
import { ConsoleLogger } from '@mastra/core/logger';
import type { AnyWorkflow } from '@mastra/core/workflows';
import { LibSQLStore } from '@mastra/libsql';
import type { MastraStorage } from '@mastra/core/storage';
import type { BuiltExpert } from '../agents/expert-agent.js';
import { EXPERT_SPECS } from '../agents/registry.js';
import type { ExpertRunner } from '../investigation/types.js';
import { createLifecycleWorkflow } from './lifecycle.js';
import { LifecycleRuns } from './runs.js';

/** How Studio (`mastra dev`) serves this instance: host, port, authentication (docs/mastra.md). */
type ServerConfig = NonNullable<ConstructorParameters<typeof Mastra>[0]>['server'];

/** The key the lifecycle workflow is registered under (its id is LIFECYCLE_WORKFLOW_ID). */
export const LIFECYCLE_KEY = 'incidentLifecycle';

export interface CopilotMastra {
  mastra: Mastra;
  /** the registered incident lifecycle workflow: every incident is one run of it, kept in `storageFile` */
  lifecycle: AnyWorkflow;
  /** where the runs are kept: the LibSQL file, or the PostgreSQL schema */
  storageFile: string;
  close(): Promise<void>;
}

/** Mastra's own tables (workflow runs, their step results, suspended approvals) live next to the incident store. */
export const mastraStorageFile = (home: string) => path.join(home, 'mastra.db');

/** PostgreSQL shared by every process (DATABASE_URL), when the incident store is there too. */
export interface MastraDatabase {
  url: string;
  schema: string;
}

/**
 * Where Mastra keeps its runs: the LibSQL file under the home, or — when several processes share a PostgreSQL — its
 * tables in that database (@mastra/pg), next to the incident store's schema, so that any process can resume a run
 * another one suspended (and a resume is claimed there once).
 */
async function mastraStorage(home: string, database?: MastraDatabase): Promise<{ storage: MastraStorage; where: string }> {
  if (database) {
    const { PostgresStore } = await import('@mastra/pg');
    const schemaName = `${database.schema}_mastra`;
    return { storage: new PostgresStore({ id: 'sre-copilot', connectionString: database.url, schemaName }), where: `PostgreSQL schema ${schemaName}` };
  }
  const storageFile = mastraStorageFile(home);
  await mkdir(path.dirname(storageFile), { recursive: true });
  return { storage: new LibSQLStore({ id: 'sre-copilot', url: `file:${storageFile}` }), where: storageFile };
}

/**
 * The composition root of the Mastra side: every expert is a registered agent with its analysis tool, the incident
 * lifecycle is a registered workflow, and Mastra's storage (LibSQL, a file under the copilot home) keeps every run,
 * so a restarted process resumes what the last one left. Mastra logs warnings and errors to stderr.
 */
export async function createCopilotMastra(opts: { home: string; experts: BuiltExpert[]; server?: ServerConfig; database?: MastraDatabase }): Promise<CopilotMastra> {
  const { storage, where: storageFile } = await mastraStorage(opts.home, opts.database);
  const mastra = new Mastra({
    agents: Object.fromEntries(opts.experts.map((e) => [e.agent.id, e.agent])),
    workflows: { [LIFECYCLE_KEY]: createLifecycleWorkflow(opts.experts.map((e) => e.runner)) },
    storage,
    logger: new ConsoleLogger({ name: 'sre-copilot', level: 'warn' }),
    // only `mastra dev` (Studio) serves HTTP from this instance: its host, port and authentication
    ...(opts.server ? { server: opts.server } : {}),
  });
  // shutdown, not only storage.close(): the constructor adds a handler to @mastra/core's module-level hook emitter,
  // which kept the whole instance (agents, tools, connectors, the scenario world) alive after close, about 30 MB per
  // runtime (bench scenarios grew to 6 GB RSS); shutdown removes it, then closes the storage
  return { mastra, lifecycle: mastra.getWorkflow(LIFECYCLE_KEY), storageFile, close: () => mastra.shutdown() };
}

/**
 * For a copilot assembled by hand, without the runtime's Mastra: the same workflow on a Mastra of its own whose
 * runs live in memory (they do not survive the process).
 */
export function inMemoryLifecycle(experts: ExpertRunner[]): AnyWorkflow {
  // nothing closes this Mastra (a Copilot has no close): as an ephemeral one it adds no module-level scorer hook
  // that would keep it alive; it has no agents or scorers, so the hook had nothing to do anyway
  const mastra = new Mastra({ workflows: { [LIFECYCLE_KEY]: createLifecycleWorkflow(experts) }, logger: false, __ephemeral: true });
  return mastra.getWorkflow(LIFECYCLE_KEY);
}

/** The lifecycle runs kept under a copilot home, to read (the `incidents` command): no agents, no world. */
export async function openLifecycleRuns(home: string, database?: MastraDatabase): Promise<{ runs: LifecycleRuns; close(): Promise<void> }> {
  const { storage } = await mastraStorage(home, database);
  const mastra = new Mastra({ workflows: { [LIFECYCLE_KEY]: createLifecycleWorkflow(EXPERT_SPECS) }, storage, logger: new ConsoleLogger({ name: 'sre-copilot', level: 'error' }) });
  return { runs: new LifecycleRuns(mastra.getWorkflow(LIFECYCLE_KEY)), close: () => mastra.shutdown() }; // see createCopilotMastra
}
