import type { FaultKind } from '../model/evidence.js';
import type { TargetKind } from './actions.js';

/**
 * The code agent's contract: when no registered action fits the diagnosis, a writer drafts a bash script for the
 * step. Whatever it writes is validated (deny-list, `bash -n`, shellcheck) by the planner, shown in full, marked high
 * risk and needs two distinct approvers; a writer can only propose, never run.
 */
export interface ScriptRequest {
  faultKind: FaultKind;
  /** a CMDB component (never text from an alert or a log) */
  component: string;
  componentKind: TargetKind | undefined;
  hosts: string[];
  /** why no registered action fits */
  reason: string;
}

export interface ScriptDraft {
  script: string;
  description: string;
  /** who wrote it, shown in the thread (e.g. "the built-in templates", an LLM's label) */
  author: string;
}

export interface ScriptWriter {
  readonly name: string;
  write(request: ScriptRequest): Promise<ScriptDraft | null>;
}

/** Names that may appear in a script: CMDB identifiers only, so a hostile name cannot become shell syntax. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const comment = (text: string) => text.replace(/[^\w .,:()>/'-]/g, ' ').slice(0, 200);

type Template = (name: string, r: ScriptRequest) => { body: string; description: string } | null;

const restartUnit: Template = (name) => ({
  description: `restart the ${name} unit and confirm it comes back active`,
  body: [
    `unit='${name}'`,
    'systemctl status "$unit" --no-pager --lines=0 || true',
    'systemctl restart "$unit"',
    'for _ in 1 2 3 4 5 6; do',
    '  if systemctl is-active --quiet "$unit"; then echo "$unit is active"; exit 0; fi',
    '  sleep 5',
    'done',
    'echo "$unit did not become active within 30 s" >&2',
    'exit 1',
  ].join('\n'),
});

const TEMPLATES: Partial<Record<FaultKind, Template>> = {
  memory_leak: restartUnit,
  cache_outage: restartUnit,
  cpu_saturation: restartUnit,
  db_connection_exhaustion: restartUnit,
  disk_full: (name) => ({
    description: `delete ${name}'s rotated logs older than a day and vacuum the journal to 500 MB`,
    body: [
      `logs='/var/log/${name}'`,
      'df -h "$logs" || df -h /var/log',
      'if [ -d "$logs" ]; then',
      "  find \"$logs\" -xdev -type f -name '*.gz' -mtime +1 -print -delete",
      'fi',
      'journalctl --vacuum-size=500M',
      'df -h "$logs" || df -h /var/log',
    ].join('\n'),
  }),
  bad_deploy: (name, r) =>
    r.componentKind === 'service' || r.componentKind === 'gateway'
      ? {
          description: `undo the last rollout of deployment/${name} (the CMDB records no previous version)`,
          body: [`deployment='deployment/${name}'`, 'kubectl rollout history "$deployment"', 'kubectl rollout undo "$deployment"', 'kubectl rollout status "$deployment" --timeout=300s'].join('\n'),
        }
      : null,
};

/** Deterministic, reviewed templates: the script writer that works without any LLM. */
export const templateScriptWriter: ScriptWriter = {
  name: 'templates',
  async write(r) {
    if (!SAFE_NAME.test(r.component)) return null;
    const filled = TEMPLATES[r.faultKind]?.(r.component, r);
    if (!filled) return null;
    const header = [
      '#!/usr/bin/env bash',
      `# ${comment(`${r.faultKind.replaceAll('_', ' ')} on ${r.component}`)}: no registered action fits (${comment(r.reason)})`,
      `# ${comment(filled.description)}`,
      'set -euo pipefail',
    ];
    return { script: `${header.join('\n')}\n${filled.body}\n`, description: filled.description, author: 'the built-in script templates' };
  },
};
