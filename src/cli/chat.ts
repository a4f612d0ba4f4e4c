import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { createChannel } from '../bot/registry.js';
import type { Config } from '../config.js';
import { createScenarioRuntime, type ScenarioRuntime } from '../runtime.js';

/** Answers one chat line through the conversation layer. Exported for tests: the interactive loop below only does I/O. */
export async function answer(runtime: Pick<ScenarioRuntime, 'conversation'>, config: Config, line: string): Promise<string> {
  const reply = await runtime.conversation.message(line, { thread: null, user: config.user });
  if (!reply.attachment) return reply.text;
  return `${reply.attachment}\n\n${await readFile(reply.attachment, 'utf8').catch((err: unknown) => `(cannot read the report: ${(err as Error).message})`)}`;
}

export async function runChat(opts: { config: Config; scenario: string; seed: number }): Promise<void> {
  const runtime = await createScenarioRuntime({ ...opts, channel: createChannel('console', { stream: process.stdout }) });
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  try {
    process.stdout.write(`Scenario ${opts.scenario} (seed ${opts.seed}) is running and an alert just fired. Type "help" for what I understand.\n`);
    for await (const line of rl) {
      if (/^\s*(quit|exit)\s*$/i.test(line)) break;
      if (!line.trim()) continue;
      try {
        process.stdout.write(`${await answer(runtime, opts.config, line)}\n> `);
      } catch (err) {
        // One bad line must not end the session.
        process.stdout.write(`Something went wrong answering that: ${(err as Error).message}\n> `);
      }
    }
  } finally {
    rl.close();
    await runtime.close();
  }
}
