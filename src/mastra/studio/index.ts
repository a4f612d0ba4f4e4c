/**
 * The entry `mastra dev` (Mastra Studio) opens: `npx mastra dev --dir src/mastra/studio` (or `npm run studio`).
 * The same Mastra the copilot runs on (src/mastra/index.ts) over the copilot home: the expert agents with their
 * analysis tools, and the incident lifecycle workflow with every run kept in <home>/mastra.db. The agents' tools read
 * the newest serve world under the home (serve writes worlds/serve-<scenario>-seed<n>). Studio only looks: a run
 * resumed from it decides nothing (approvals are given in the incident thread, by an approver the chat platform
 * vouches for). See docs/mastra.md.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { buildExperts } from '../../agents/registry.js';
import { chooseModel } from '../../agents/model.js';
import { loadConfig } from '../../config.js';
import { createConnectors } from '../../connectors/registry.js';
import { createCopilotMastra } from '../index.js';

async function newestServeWorld(home: string): Promise<string> {
  const worlds = path.join(home, 'worlds');
  const names = (await readdir(worlds).catch(() => [] as string[])).filter((n) => n.startsWith('serve-'));
  const dated = await Promise.all(names.map(async (n) => ({ dir: path.join(worlds, n), at: (await stat(path.join(worlds, n))).mtimeMs })));
  return dated.sort((a, b) => b.at - a.at)[0]?.dir ?? path.join(worlds, 'serve-bad-deploy-payment-seed1');
}

const config = loadConfig();
const connectors = createConnectors({ kind: 'files', dir: await newestServeWorld(config.home) });
const experts = buildExperts(connectors, chooseModel(config.llm));
export const mastra = (await createCopilotMastra({ home: config.home, experts, ...(config.database ? { database: config.database } : {}) })).mastra;
