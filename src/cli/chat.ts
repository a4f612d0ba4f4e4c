import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { createChannel } from '../bot/registry.js';
import { parseIntent } from '../bot/intents.js';
import { faultLabel } from '../report/labels.js';
import type { Config } from '../config.js';
import { remediationStage } from '../copilot/status.js';
import { createScenarioRuntime, type ScenarioRuntime } from '../runtime.js';

const HELP = `Ask me things like:
  why is checkout failing?      diagnose the firing alert (or explain the diagnosis so far)
  status                        where the incident stands
  what changed in the last hour?
  show the report
  approve | reject              decide on the proposed fix
  dry run                       what the fix would do now (pre-checks and a dry run; nothing changes)
  rollback                      after a failed step: undo the steps that succeeded
  quit`;

/** Answers one chat line. Exported for tests: the interactive loop below only does I/O. */
export async function answer(runtime: ScenarioRuntime, config: Config, line: string): Promise<string> {
  const cmdb = await runtime.connectors.cmdb.snapshot();
  const intent = parseIntent(line, cmdb.services.map((s) => s.name));
  const latest = runtime.copilot.latest;
  switch (intent.kind) {
    case 'help':
      return HELP;
    case 'diagnose': {
      if (!latest) {
        const opened = await runtime.copilot.handleAlertText(JSON.stringify(runtime.world.alertPayload()));
        return opened.ok ? 'Diagnosis posted above. Say "approve" to run the proposed fix.' : `I could not diagnose it: ${opened.error}`;
      }
      const top = latest.result.ranked[0];
      if (!top) return 'I found no anomaly that explains the alert.';
      return `Most likely ${faultLabel(top.kind)} on ${top.component} (confidence ${Math.round(top.confidence * 100)} %, reflection: ${latest.result.reflection.verdict}).\n- ${top.evidence.slice(0, 4).join('\n- ')}`;
    }
    case 'status': {
      if (!latest) return `An alert is firing (${runtime.world.def.description}); nobody has asked me to diagnose it yet.`;
      const stage = remediationStage(latest);
      return `${latest.incident.id} — ${latest.incident.title} — ${latest.incident.status}: ${stage}.`;
    }
    case 'changes': {
      const since = runtime.world.now() - intent.sinceMinutes * 60_000;
      const changes = cmdb.changes.filter((c) => c.ts >= since).sort((a, b) => a.ts - b.ts);
      if (changes.length === 0) return `No recorded changes in the last ${intent.sinceMinutes} minutes.`;
      return changes.map((c) => `${new Date(c.ts).toISOString().slice(11, 16)}  ${c.kind.padEnd(7)} ${c.target}: ${c.description} (by ${c.author})`).join('\n');
    }
    case 'report':
      if (!latest) return 'There is no report yet: ask me to diagnose first.';
      return `${latest.report.path}\n\n${await readFile(latest.report.path, 'utf8')}`;
    case 'approve':
    case 'reject': {
      if (!latest) return 'There is no plan to decide on yet.';
      const decided = await runtime.copilot.decide(latest.incident.id, config.user, intent.kind === 'approve' ? 'approved' : 'rejected');
      return decided.ok ? 'Done; see the thread above.' : `Not done: ${decided.error}`;
    }
    case 'dry_run': {
      if (!latest?.result.plan) return 'There is no plan to dry-run yet.';
      const dry = await runtime.copilot.dryRun(latest.incident.id);
      return dry.ok ? 'Dry run posted above; nothing was executed.' : `Not done: ${dry.error}`;
    }
    case 'rollback': {
      if (!latest) return 'There is nothing to roll back.';
      const rolled = await runtime.copilot.rollback(latest.incident.id, config.user);
      return rolled.ok ? 'Rollback done; see the thread above.' : `Not done: ${rolled.error}`;
    }
    default: {
      if (runtime.narrator) {
        const context = latest ? `${latest.incident.title}; top causes: ${latest.result.ranked.slice(0, 3).map((h) => `${h.kind} on ${h.component}`).join(', ')}` : 'no diagnosis yet';
        const reply = await runtime.narrator.converse(line, context);
        if (reply.ok) return `${reply.text}\n(written by ${runtime.narrator.label})`;
      }
      return `I did not understand "${line.trim()}".\n${HELP}`;
    }
  }
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
