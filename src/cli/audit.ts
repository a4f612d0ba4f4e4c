import type { Config } from '../config.js';
import type { AuditEvent } from '../model/remediation.js';
import { openConfiguredStore } from '../storage/registry.js';
import type { AuditVerification, BrokenAuditRecord, IncidentStore, StoredAuditEvent } from '../storage/types.js';

/**
 * One audit record as `audit --json` prints it: exactly these keys. `time` is the wall clock when the store wrote
 * the record; `clockAt` is the copilot's own clock at the event (scenario time in the simulator, so it can be
 * hours or years away from `time`; in production the two agree). `planId` and `planHash` are null for events
 * without a plan; `hash` and `prevHash` link the record into the hash chain.
 */
export interface AuditRecord {
  seq: number;
  type: AuditEvent['type'];
  incidentId: string;
  planId: string | null;
  planHash: string | null;
  actor: string;
  /** ISO 8601, wall clock */
  time: string;
  /** ISO 8601, the copilot's clock */
  clockAt: string;
  detail: string;
  hash: string | null;
  prevHash: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The two clocks are worth showing apart only when they disagree by more than this. */
const CLOCK_SKEW_SHOWN_MS = 60_000;

export function auditRecord(e: StoredAuditEvent): AuditRecord {
  return {
    seq: e.seq,
    type: e.type,
    incidentId: e.incidentId,
    planId: e.planId ?? null,
    planHash: e.planHash ?? null,
    actor: e.actor,
    time: iso(e.recordedAt),
    clockAt: iso(e.at),
    detail: e.detail,
    hash: e.hash,
    prevHash: e.prevHash,
  };
}

export function auditLine(e: StoredAuditEvent): string {
  const clock = Math.abs(e.at - e.recordedAt) > CLOCK_SKEW_SHOWN_MS ? `  [copilot clock ${iso(e.at)}]` : '';
  const planHash = e.planHash ? e.planHash.slice(0, 12) : '-'.padEnd(12);
  return `${String(e.seq).padStart(5)}  ${iso(e.recordedAt)}  ${e.incidentId}  ${e.type.padEnd(11)} ${e.actor.padEnd(14)} ${planHash}  ${e.detail}${clock}`;
}

function brokenAt(b: BrokenAuditRecord): string {
  const which = b.incidentId ? ` (${b.incidentId}, ${b.type})` : '';
  return `record ${b.seq}${which}: ${b.reason}`;
}

/** The verdict in words: what people read after `audit verify`, and under the plain listing. */
export function describeVerification(v: AuditVerification): string {
  if (v.ok) {
    return v.records === 0
      ? 'Audit log intact: no records yet.'
      : `Audit log intact: ${v.records} record(s); head is record ${v.head.seq}, sha256 ${v.head.hash}`;
  }
  return `Audit log BROKEN at ${brokenAt(v.firstBroken)} (${v.records} record(s) in the table)`;
}

/**
 * A head hash recorded earlier must still be the hash of some record: the chain is intact, so every record up to
 * that one is as it was when the hash was recorded.
 */
async function checkAnchor(store: IncidentStore, anchor: string): Promise<string | null> {
  const wanted = anchor.trim().toLowerCase();
  const found = (await store.listAudit()).find((e) => e.hash === wanted);
  return found ? null : `the recorded head ${wanted.slice(0, 12)}… is not in the log: records up to it were rewritten or removed`;
}

/** `audit verify`: returns the exit code, 0 when the chain, the head file and any anchor check out, 1 when not. */
export async function verifyAuditCommand(config: Config, opts: { json?: boolean; anchor?: string } = {}): Promise<number> {
  if (opts.anchor !== undefined && !/^[0-9a-f]{64}$/i.test(opts.anchor.trim())) {
    throw new Error(`--anchor takes the 64-hex-digit head hash that \`audit verify\` printed, not "${opts.anchor}"`);
  }
  const store = await openConfiguredStore(config);
  try {
    const verdict = await store.verifyAudit();
    const anchorProblem = verdict.ok && opts.anchor !== undefined ? await checkAnchor(store, opts.anchor) : null;
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(anchorProblem ? { ...verdict, ok: false, anchor: anchorProblem } : verdict, null, 2)}\n`);
    } else if (verdict.ok && !anchorProblem) {
      process.stdout.write(`${describeVerification(verdict)}\n`);
      if (verdict.records > 0) process.stdout.write('Record the head hash outside this machine; `audit verify --anchor <hash>` later proves the log up to it is unchanged.\n');
    } else {
      process.stderr.write(`${anchorProblem ? `Audit log BROKEN: ${anchorProblem}` : describeVerification(verdict)}\n`);
    }
    return verdict.ok && !anchorProblem ? 0 : 1;
  } finally {
    await store.close();
  }
}

export async function printAudit(config: Config, opts: { incident?: string; json?: boolean; anchor?: string }): Promise<void> {
  if (opts.anchor !== undefined) throw new Error('--anchor goes with `audit verify`');
  const store = await openConfiguredStore(config);
  try {
    const events = await store.listAudit(opts.incident ? { incidentId: opts.incident } : {});
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(events.map(auditRecord), null, 2)}\n`);
      return;
    }
    if (events.length === 0) process.stdout.write('The audit log is empty.\n');
    for (const e of events) process.stdout.write(`${auditLine(e)}\n`);
    const verdict = await store.verifyAudit();
    if (!verdict.ok) process.stdout.write(`⚠ ${describeVerification(verdict)}; run \`bin/sre-copilot audit verify\`\n`);
    else if (events.length > 0) process.stdout.write(`${describeVerification(verdict)}\n`);
  } finally {
    await store.close();
  }
}
