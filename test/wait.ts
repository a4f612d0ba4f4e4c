/**
 * Polls `ready` every 250 ms until it says true; a throw counts as "not yet" (its message is kept for the failure).
 * For conditions vi.waitFor cannot express as an assertion, e.g. a server that must first come up.
 */
export async function waitUntil(ready: () => Promise<boolean>, timeoutMs: number, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await ready()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not hold within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
}
