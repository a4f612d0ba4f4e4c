import { execFile } from 'node:child_process';
import path from 'node:path';
import type { PlanStep } from '../../model/remediation.js';
import { destructivePattern } from '../scripts.js';
import type { Executor, StepOutcome } from './types.js';

export interface ShellExecutorOptions {
  /** off unless SRE_COPILOT_SHELL_ENABLED=true */
  enabled: boolean;
  /** command names that may run (the argv[0] exactly as given, e.g. `kubectl`, `systemctl`) */
  allow: string[];
  cwd: string;
  timeoutMs: number;
  /** how the executor names itself in messages (default `shell`) */
  name?: string;
  /** output beyond this many characters is cut */
  maxOutputChars?: number;
  /** how a typed step becomes argv (default: `argvFromStep`); null: the step has no command for this executor */
  argvFor?: (step: PlanStep) => string[] | null;
  /** how a step's undo becomes argv (default: `rollbackArgvFromStep`) */
  rollbackArgvFor?: (step: PlanStep) => string[] | null;
}

const splitArgs = (s: string): string[] => s.split(/\s+/).filter(Boolean);

/**
 * The default mapping: `params.argv` (a JSON array of strings) or `params.command` with `params.args`
 * (whitespace-separated; no quoting, no globbing, no expansion — nothing is ever handed to a shell).
 */
export function argvFromStep(step: PlanStep, prefix = ''): string[] | null {
  const p = step.params;
  if (step.action === 'run_script' && !prefix) {
    // a generated script runs as bash's argument, so `bash` must be allow-listed; the deny-list is checked again here
    if (typeof p.script !== 'string') return null;
    const denied = destructivePattern(p.script);
    if (denied) throw new Error(denied);
    return ['bash', '-c', p.script];
  }
  const argv = p[`${prefix}argv`];
  if (typeof argv === 'string') {
    const parsed: unknown = JSON.parse(argv);
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((a) => typeof a === 'string')) throw new Error(`params.${prefix}argv must be a JSON array of strings`);
    return parsed as string[];
  }
  const command = p[prefix ? `${prefix}Command` : 'command'];
  if (typeof command !== 'string' || command.trim() === '') return null;
  const args = p[prefix ? `${prefix}Args` : 'args'];
  return [command.trim(), ...(args === undefined ? [] : splitArgs(String(args)))];
}

export const rollbackArgvFromStep = (step: PlanStep): string[] | null => argvFromStep(step, 'rollback');

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n… [truncated ${text.length - max} characters]`;
}

const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`);

/** Runs steps as local commands with execFile (never through a shell string), in a working directory, with a timeout. */
export function createShellExecutor(opts: ShellExecutorOptions): Executor {
  const max = opts.maxOutputChars ?? 4000;
  const executorName = opts.name ?? 'shell';
  const run = async (step: PlanStep, argvFor: (s: PlanStep) => string[] | null, dryRun: boolean, what: string): Promise<StepOutcome> => {
    if (!opts.enabled) return { ok: false, output: 'the shell executor is off; set SRE_COPILOT_SHELL_ENABLED=true to enable it' };
    let argv: string[] | null;
    try {
      argv = argvFor(step);
    } catch (err) {
      return { ok: false, output: (err as Error).message };
    }
    if (!argv || argv.length === 0) return { ok: false, output: `step ${step.id} (${step.action}) has no ${what}command for the ${executorName} executor` };
    const [command, ...args] = argv as [string, ...string[]];
    if (!opts.allow.includes(command)) {
      return { ok: false, output: `${command} is not in the shell allow-list (SRE_COPILOT_SHELL_ALLOW: ${opts.allow.join(', ') || 'empty'})` };
    }
    const shown = argv.map(quote).join(' ');
    if (dryRun) return { ok: true, output: `[dry-run] would run in ${opts.cwd}: ${shown}` };
    return new Promise((resolve) => {
      execFile(
        command,
        args,
        { cwd: path.resolve(opts.cwd), timeout: opts.timeoutMs, killSignal: 'SIGKILL', maxBuffer: Math.max(max * 4, 64 * 1024), shell: false, windowsHide: true },
        (err, stdout, stderr) => {
          const out = truncate([String(stdout), String(stderr)].filter((s) => s.trim()).join('\n').trim(), max);
          if (!err) return resolve({ ok: true, output: out || `${shown}: exit 0` });
          const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
          const why = e.killed ? `timed out after ${opts.timeoutMs} ms` : e.code === 'ENOENT' ? `${command}: command not found` : `exit ${String(e.code ?? e.message)}`;
          resolve({ ok: false, output: truncate(`${shown}: ${why}${out ? `\n${out}` : ''}`, max) });
        },
      );
    });
  };
  return {
    name: executorName,
    execute: (step, { dryRun }) => run(step, opts.argvFor ?? argvFromStep, dryRun, ''),
    rollback: (step, { dryRun }) => run(step, opts.rollbackArgvFor ?? rollbackArgvFromStep, dryRun, 'rollback '),
  };
}
