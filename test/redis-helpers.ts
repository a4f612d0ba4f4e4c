import { Redis } from 'ioredis';
import { deleteQueueKeys } from '../src/queue/bullmq.js';

/** The local Redis the tests use (.ci/run starts it when it is down): SRE_COPILOT_TEST_REDIS_URL, default 127.0.0.1:6379. */
export const TEST_REDIS_URL = process.env['SRE_COPILOT_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export async function redisAvailable(): Promise<boolean> {
  const r = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** Deletes every key under a queue prefix a test used. */
export const dropRedisPrefix = (prefix: string): Promise<void> => deleteQueueKeys(TEST_REDIS_URL, prefix);
