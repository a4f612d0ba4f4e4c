import type { PlanStep } from '../../model/remediation.js';
import { truncate } from './shell.js';
import type { Executor, StepOutcome } from './types.js';

export interface WebhookExecutorOptions {
  /** one URL for every step, or per step (null: the step has no URL here, and fails with `noUrl`'s reason) */
  url: string | ((step: PlanStep) => string | null);
  noUrl?: (step: PlanStep) => string;
  /** how the executor names itself (default `webhook`) */
  name?: string;
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
    const url = typeof opts.url === 'string' ? opts.url : opts.url(step);
    if (!url) return { ok: false, output: opts.noUrl?.(step) ?? `no URL for step ${step.id}` };
    const body = JSON.stringify({ operation, step });
    if (dryRun) return { ok: true, output: `[dry-run] would POST to ${url}: ${truncate(body, max)}` };
    try {
      const res = await doFetch(url, {
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
      return { ok: false, output: `POST ${url} failed: ${why}` };
    }
  };
  return {
    name: opts.name ?? 'webhook',
    execute: (step, { dryRun }) => send(step, 'execute', dryRun),
    rollback: (step, { dryRun }) => send(step, 'rollback', dryRun),
  };
}

/**
 * `call_webhook` steps: the step names a hook (params.hook) and the URL comes from configuration
 * (SRE_COPILOT_HOOKS), so no text from an alert, a log or a chat message can choose where a request goes.
 */
export function createHookExecutor(opts: { hooks: Record<string, string>; timeoutMs: number; fetch?: typeof fetch }): Executor {
  const names = Object.keys(opts.hooks);
  return createWebhookExecutor({
    name: 'hooks',
    timeoutMs: opts.timeoutMs,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    url: (step) => (step.action === 'call_webhook' && Object.hasOwn(opts.hooks, String(step.params.hook)) ? opts.hooks[String(step.params.hook)]! : null),
    noUrl: (step) =>
      step.action !== 'call_webhook'
        ? `the hooks executor only runs call_webhook steps, not ${step.action}`
        : `no automation hook named "${String(step.params.hook)}" is configured (SRE_COPILOT_HOOKS: ${names.join(', ') || 'none'})`,
  });
}
