import type { PlanStep } from '../../model/remediation.js';
import { truncate } from './shell.js';
import type { Executor, StepOutcome } from './types.js';

export interface WebhookExecutorOptions {
  url: string;
  timeoutMs: number;
  headers?: Record<string, string>;
  maxOutputChars?: number;
  /** default: the global fetch */
  fetch?: typeof fetch;
}

/**
 * POSTs each typed step as JSON to a configured URL (an automation service, a runbook runner). A 2xx answer is
 * success; its body is the step's output. A dry run contacts nothing.
 */
export function createWebhookExecutor(opts: WebhookExecutorOptions): Executor {
  const doFetch = opts.fetch ?? fetch;
  const max = opts.maxOutputChars ?? 4000;
  const send = async (step: PlanStep, operation: 'execute' | 'rollback', dryRun: boolean): Promise<StepOutcome> => {
    const body = JSON.stringify({ operation, step });
    if (dryRun) return { ok: true, output: `[dry-run] would POST to ${opts.url}: ${truncate(body, max)}` };
    try {
      const res = await doFetch(opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...opts.headers },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      const text = truncate((await res.text()).trim(), max);
      return { ok: res.ok, output: res.ok ? text || `HTTP ${res.status}` : `HTTP ${res.status}${text ? `: ${text}` : ''}` };
    } catch (err) {
      const e = err as Error;
      const why = e.name === 'TimeoutError' || e.name === 'AbortError' ? `timed out after ${opts.timeoutMs} ms` : e.message;
      return { ok: false, output: `POST ${opts.url} failed: ${why}` };
    }
  };
  return {
    name: 'webhook',
    execute: (step, { dryRun }) => send(step, 'execute', dryRun),
    rollback: (step, { dryRun }) => send(step, 'rollback', dryRun),
  };
}
