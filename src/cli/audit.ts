import type { Config } from '../config.js';
import { openStore } from '../storage/registry.js';

export async function printAudit(config: Config, opts: { incident?: string; json?: boolean }): Promise<void> {
  const store = await openStore(config.storage, config.home);
  try {
    const events = await store.listAudit(opts.incident ? { incidentId: opts.incident } : {});
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(events, null, 2)}\n`);
      return;
    }
    if (events.length === 0) process.stdout.write('The audit log is empty.\n');
    for (const e of events) {
      process.stdout.write(`${new Date(e.at).toISOString()}  ${e.incidentId}  ${e.type.padEnd(11)} ${e.actor.padEnd(14)} ${e.detail}\n`);
    }
  } finally {
    await store.close();
  }
}
