import { createHash } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { type AuditEvent, AuditEventSchema } from '../model/remediation.js';
import type { AuditHead, AuditVerification, BrokenAuditRecord, StoredAuditEvent } from './types.js';

/**
 * The audit log's hash chain. Each record's hash covers its number, the previous record's hash and the whole event,
 * so rewriting, removing or reordering any record breaks the link to the record after it. The chain has no secret:
 * anyone who can write the database can recompute it, which is why the head (last number and hash) is also kept
 * outside the table, in a head file, and printed by `audit verify` for people to record elsewhere.
 */

/** The prevHash of record 1. */
export const GENESIS_HASH = '0'.repeat(64);

export const HEAD_FILE_NAME = 'audit-head.json';

/** JSON with object keys sorted at every level and no whitespace: one byte string per value, whoever wrote it. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function chainHash(seq: number, prevHash: string, event: unknown): string {
  return createHash('sha256').update(canonicalJson({ seq, prevHash, event })).digest('hex');
}

/** One row of the audit table as stored, before anything is trusted. */
export interface AuditRow {
  seq: number;
  incidentId: string;
  type: string;
  actor: string;
  at: number;
  json: string;
  prevHash: string | null;
  hash: string | null;
}

export const AuditHeadSchema = z.object({
  seq: z.number().int().nonnegative(),
  hash: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 hex digest'),
});

export type HeadFileState = { kind: 'missing' } | { kind: 'unreadable'; problem: string } | { kind: 'present'; head: AuditHead };

export async function readAuditHead(file: string): Promise<HeadFileState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'unreadable', problem: (err as Error).message };
  }
  try {
    const parsed = AuditHeadSchema.safeParse(JSON.parse(text));
    return parsed.success ? { kind: 'present', head: parsed.data } : { kind: 'unreadable', problem: parsed.error.issues[0]?.message ?? 'invalid' };
  } catch {
    return { kind: 'unreadable', problem: 'not JSON' };
  }
}

/** Written to a temporary file and renamed, so a crash leaves the old head or the new one, never half of one. */
export async function writeAuditHead(file: string, head: AuditHead): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(head)}\n`);
  await rename(temp, file);
}

/** Puts the head file back as it was before a failed append. */
export async function restoreAuditHead(file: string, before: HeadFileState): Promise<void> {
  if (before.kind === 'present') await writeAuditHead(file, before.head);
  else if (before.kind === 'missing') await rm(file, { force: true });
}

const short = (hash: string) => `${hash.slice(0, 12)}…`;

function recordRange(from: number, to: number): string {
  return from === to ? `missing record ${from}` : `missing records ${from}..${to}`;
}

/** What is wrong with one row given the record before it, or null when it links and hashes correctly. */
function checkRow(row: AuditRow, expectedSeq: number, prevHash: string): string | null {
  if (row.seq > expectedSeq) return recordRange(expectedSeq, row.seq - 1);
  if (row.seq < expectedSeq) return `record number ${row.seq} is out of sequence (expected ${expectedSeq})`;
  if (row.hash === null || row.prevHash === null) return 'record has no hash (it was written around the store)';
  let event: unknown;
  try {
    event = JSON.parse(row.json);
  } catch {
    return 'record is not valid JSON';
  }
  if (chainHash(row.seq, row.prevHash, event) !== row.hash) return 'hash mismatch';
  if (row.prevHash !== prevHash) {
    return expectedSeq === 1 ? 'prev hash is not the genesis value' : `prev hash does not match record ${expectedSeq - 1}`;
  }
  const parsed = AuditEventSchema.safeParse(event);
  if (!parsed.success) return `not a valid audit event (${parsed.error.issues[0]?.message ?? 'invalid'})`;
  const e = parsed.data;
  if (e.incidentId !== row.incidentId || e.type !== row.type || e.actor !== row.actor || e.at !== row.at) {
    // the columns are what `audit --incident` filters on; a record must not be hidden from its incident's listing
    return 'the incident_id/type/actor/at columns disagree with the hashed record';
  }
  return null;
}

function describeRow(row: AuditRow | undefined, seq: number, reason: string): BrokenAuditRecord {
  if (!row || row.seq !== seq) return { seq, reason };
  return { seq, incidentId: row.incidentId, type: row.type, reason };
}

function checkHead(state: HeadFileState, last: AuditRow | undefined, rowsBySeq: Map<number, AuditRow>): BrokenAuditRecord | null {
  const lastSeq = last?.seq ?? 0;
  if (state.kind === 'missing') {
    return lastSeq === 0 ? null : describeRow(last, lastSeq, `head file ${HEAD_FILE_NAME} is missing; the log ends at record ${lastSeq}`);
  }
  if (state.kind === 'unreadable') {
    return describeRow(last, lastSeq, `head file ${HEAD_FILE_NAME} is unreadable (${state.problem}); the log ends at record ${lastSeq}`);
  }
  const { head } = state;
  if (head.seq > lastSeq) return { seq: lastSeq + 1, reason: `head file says ${head.seq} but the log ends at ${lastSeq}` };
  if (head.seq < lastSeq) {
    return describeRow(
      rowsBySeq.get(head.seq + 1),
      head.seq + 1,
      `the log goes on past the head file (record ${head.seq}): records ${head.seq + 1}..${lastSeq} were not appended through the store, or the head file was rolled back`,
    );
  }
  if (last && head.hash !== last.hash) {
    return describeRow(last, lastSeq, `head file says record ${lastSeq} has hash ${short(head.hash)}, the log has ${short(last.hash ?? 'none')}`);
  }
  return null;
}

/** Checks every record's hash and link in order, then the head file against the last record; stops at the first break. */
export function verifyChain(rows: AuditRow[], headState: HeadFileState): AuditVerification {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  for (const row of rows) {
    const problem = checkRow(row, expectedSeq, prevHash);
    if (problem) return { ok: false, records: rows.length, firstBroken: describeRow(row, expectedSeq, problem) };
    prevHash = row.hash!;
    expectedSeq += 1;
  }
  const last = rows.at(-1);
  const headProblem = checkHead(headState, last, new Map(rows.map((r) => [r.seq, r])));
  if (headProblem) return { ok: false, records: rows.length, firstBroken: headProblem };
  return { ok: true, records: rows.length, head: { seq: last?.seq ?? 0, hash: last?.hash ?? GENESIS_HASH } };
}

/** A row as the log's readers get it: the event parsed back, with its number, chain hashes and time of recording. */
export function toStoredEvent(row: AuditRow): StoredAuditEvent {
  let event: AuditEvent;
  try {
    event = AuditEventSchema.parse(JSON.parse(row.json));
  } catch {
    throw new Error(`audit record ${row.seq} is not a readable audit event; \`bin/sre-copilot audit verify\` says what is wrong with the log`);
  }
  return { ...event, seq: row.seq, recordedAt: event.recordedAt ?? event.at, hash: row.hash, prevHash: row.prevHash };
}
