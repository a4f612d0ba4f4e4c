import { execFile, spawn } from 'node:child_process';
import type { ChatMessage, MessageBlock } from '../chat/channel.js';
import type { PlanStep, RemediationPlan } from '../model/remediation.js';
import { redact } from '../redaction/redact.js';

/** Destructive patterns a generated script may never contain; a match refuses the script at planning time. */
export const SCRIPT_DENY_LIST: { name: string; pattern: RegExp }[] = [
  { name: 'rm -rf /', pattern: /\brm\s+(?:[^;&|\n]*\s)?-(?:[a-zA-Z]*[rR][a-zA-Z]*|-recursive)\s+(?:[^;&|\n]*\s)?(?:--no-preserve-root\s+)?\/\*?(?=\s|$|[;&|])/m },
  { name: 'mkfs', pattern: /(?:^|[\s;&|(`])mkfs(?:\.\w+)?(?=\s|$|[;&|)])/m },
  { name: 'dd of=/dev/', pattern: /\bdd\b[^\n;&|]*\bof=\/dev\//m },
  { name: 'fork bomb', pattern: /([\w:]+)\s*\(\s*\)\s*\{[^}]*\1\s*\|\s*\1\s*&[^}]*\}/m },
  { name: 'curl | sh', pattern: /\bcurl\b[^\n;]*\|\s*(?:sudo\s+)?(?:\/\S*\/)?(?:ba|z|da|k|c)?sh\b/m },
  { name: 'wget | bash', pattern: /\bwget\b[^\n;]*\|\s*(?:sudo\s+)?(?:\/\S*\/)?(?:ba|z|da|k|c)?sh\b/m },
  { name: 'chmod -R 777 /', pattern: /\bchmod\b(?=[^\n;&|]*\s-[a-zA-Z]*R)(?=[^\n;&|]*\s0?777\b)[^\n;&|]*\s\/(?=\s|$|[;&|])/m },
  { name: '> /dev/sda', pattern: />\s*\/dev\/(?:sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d|mmcblk\d|disk\d)/m },
];

/** Why a script is refused outright (the first destructive pattern it contains), or null. */
export function destructivePattern(script: string): string | null {
  const denied = SCRIPT_DENY_LIST.find((d) => d.pattern.test(script));
  return denied ? `the script contains a destructive pattern (${denied.name}) and is refused` : null;
}

export type ScriptCheck = { ok: true; notes: string[] } | { ok: false; reason: string };

function runWithStdin(command: string, args: string[], input: string, timeoutMs = 10_000): Promise<{ code: number | null; out: string; missing: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs, shell: false });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => resolve({ code: null, out: err.message, missing: err.code === 'ENOENT' }));
    child.on('close', (code) => resolve({ code, out: out.trim(), missing: false }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

const shellcheckPresent = new Map<string, Promise<boolean>>();
const hasShellcheck = (binary: string): Promise<boolean> => {
  let known = shellcheckPresent.get(binary);
  if (!known) {
    known = new Promise((resolve) => execFile(binary, ['--version'], { timeout: 5_000 }, (err) => resolve(!err)));
    shellcheckPresent.set(binary, known);
  }
  return known;
};

/**
 * Validates a generated bash script before it may be proposed: the destructive-pattern deny-list, `bash -n`, and
 * `shellcheck` (errors refuse; warnings are noted) when it is installed.
 */
export async function validateScript(script: string, opts: { shellcheck?: boolean; shellcheckBinary?: string } = {}): Promise<ScriptCheck> {
  if (script.trim() === '') return { ok: false, reason: 'the script is empty' };
  const denied = destructivePattern(script);
  if (denied) return { ok: false, reason: denied };
  const syntax = await runWithStdin('bash', ['-n'], script);
  if (syntax.missing) return { ok: false, reason: 'bash is not installed, so the script cannot be checked' };
  if (syntax.code !== 0) return { ok: false, reason: `bash -n rejects the script: ${syntax.out.replaceAll('bash: line', 'line')}` };
  const notes: string[] = [];
  const shellcheck = opts.shellcheckBinary ?? 'shellcheck';
  if (opts.shellcheck !== false && (await hasShellcheck(shellcheck))) {
    const sc = await runWithStdin(shellcheck, ['-s', 'bash', '-f', 'gcc', '-'], script);
    const errors = sc.out.split('\n').filter((l) => /: error:/.test(l));
    if (errors.length > 0) return { ok: false, reason: `shellcheck reports errors: ${errors.join('; ')}` };
    if (sc.out) notes.push(`shellcheck: ${sc.out.split('\n').length} warning(s)`);
  } else {
    notes.push('shellcheck is not installed; checked with bash -n only');
  }
  return { ok: true, notes };
}

/** The script plan's extra message: every script step shown in full, in a code block. */
export function scriptsMessage(plan: RemediationPlan): ChatMessage | null {
  const scripts = plan.steps.filter((s): s is PlanStep & { params: { script: string } } => s.action === 'run_script' && typeof s.params.script === 'string');
  if (scripts.length === 0) return null;
  const blocks: MessageBlock[] = [];
  const text: string[] = [];
  for (const s of scripts) {
    blocks.push({ type: 'section', text: `📜 ${s.id}: generated script for ${s.target} (high risk; runs only after two distinct approvals)` });
    blocks.push({ type: 'code', text: redact(s.params.script), language: 'bash' });
    text.push(`${s.id} script:\n${redact(s.params.script)}`);
  }
  return { text: text.join('\n\n'), blocks };
}
