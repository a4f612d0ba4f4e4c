import { createBullmqQueue } from './bullmq.js';
import { createInProcessQueue } from './in-process.js';
import type { JobQueue } from './types.js';

export type { JobQueue } from './types.js';

/** The queue for this deployment: BullMQ when REDIS_URL is set, else in-process. One registry line per kind. */
export function createQueue(settings: { redisUrl?: string; prefix?: string; lockMs?: number }, log: (line: string) => void = () => undefined): JobQueue {
  return settings.redisUrl
    ? createBullmqQueue({ url: settings.redisUrl, ...(settings.prefix ? { prefix: settings.prefix } : {}), ...(settings.lockMs ? { lockMs: settings.lockMs } : {}), log })
    : createInProcessQueue(log);
}
