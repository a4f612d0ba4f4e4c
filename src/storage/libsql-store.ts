import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Client, type Row, createClient } from '@libsql/client';
import { AuditEventSchema, type AuditEvent } from '../model/remediation.js';
import {
  type AuditRow,
  GENESIS_HASH,
  HEAD_FILE_NAME,
  chainHash,
  readAuditHead,
  restoreAuditHead,
  toStoredEvent,
  verifyChain,
  writeAuditHead,
} from './audit-chain.js';
import type { IncidentStore, RecordKind } from './types.js';

const NO_UPDATE_TRIGGER = `CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END`;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS records (
     incident_id TEXT NOT NULL, kind TEXT NOT NULL, json TEXT NOT NULL, updated_at INTEGER NOT NULL,
     PRIMARY KEY (incident_id, kind))`,
  `CREATE TABLE IF NOT EXISTS audit (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, incident_id TEXT NOT NULL, type TEXT NOT NULL, actor TEXT NOT NULL,
     at INTEGER NOT NULL, json TEXT NOT NULL, prev_hash TEXT, hash TEXT)`,
  `CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, owner TEXT NOT NULL, at INTEGER NOT NULL)`,
];

// The audit log is append-only by construction, not by convention. The triggers stop mistakes and casual edits;
// the hash chain is what makes deliberate ones (a dropped trigger, then a delete) visible.
const TRIGGERS = [
  NO_UPDATE_TRIGGER,
  `CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END`,
  // INSERT OR REPLACE deletes the row it replaces without firing delete triggers, so an insert may only extend the log.
  `CREATE TRIGGER IF NOT EXISTS audit_append_only BEFORE INSERT ON audit
     WHEN NEW.seq IS NULL OR NEW.seq <= (SELECT COALESCE(MAX(seq), 0) FROM audit) OR NEW.hash IS NULL OR NEW.prev_hash IS NULL
     BEGIN SELECT RAISE(ABORT, 'audit log is append-only: a record must carry the next number and its chain hashes'); END`,
];

/** Another process holding the write lock makes us wait this long rather than fail at once. */
const BUSY_TIMEOUT_MS = 5_000;

const AUDIT_COLUMNS = 'seq, incident_id, type, actor, at, json, prev_hash, hash';

function toAuditRow(r: Row): AuditRow {
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    seq: Number(r.seq),
    incidentId: String(r.incident_id),
    type: String(r.type),
    actor: String(r.actor),
    at: Number(r.at),
    json: String(r.json),
    prevHash: text(r.prev_hash),
    hash: text(r.hash),
  };
}


async function addChainColumns(db: Client): Promise<void> {
  const columns = new Set((await db.execute('PRAGMA table_info(audit)')).rows.map((r) => String(r.name)));
  for (const column of ['prev_hash', 'hash']) {
    if (!columns.has(column)) await db.execute(`ALTER TABLE audit ADD COLUMN ${column} TEXT`);
  }
}

/**
 * A database from before the chain existed has records and no head file: chain them once, as they are, so the log
 * is checkable from here on (this attests to them as found, not to what happened before). Unchained records in a
 * log that already has a head file are left alone: verify reports them.
 */
async function chainLegacyRecords(db: Client, headFile: string): Promise<void> {
  if (existsSync(headFile)) return;
  const chained = await db.execute('SELECT COUNT(*) AS n FROM audit WHERE hash IS NOT NULL');
  if (Number(chained.rows[0]?.n ?? 0) > 0) return;
  const tx = await db.transaction('write');
  try {
    const rows = (await tx.execute(`SELECT ${AUDIT_COLUMNS} FROM audit ORDER BY seq`)).rows.map(toAuditRow);
    if (rows.length === 0) return;
    await tx.execute('DROP TRIGGER IF EXISTS audit_no_update');
    let prevHash = GENESIS_HASH;
    let seq = 0;
    for (const row of rows) {
      seq = row.seq;
      const hash = chainHash(seq, prevHash, JSON.parse(row.json));
      await tx.execute({ sql: 'UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?', args: [prevHash, hash, seq] });
      prevHash = hash;
    }
    await tx.execute(NO_UPDATE_TRIGGER);
    await tx.commit();
    await writeAuditHead(headFile, { seq, hash: prevHash });
  } finally {
    tx.close();
  }
}

/**
 * Every write to one database file goes through one queue per process, shared by every store open on that file. An
 * append holds SQLite's write lock across awaits (read the last hash, insert, write the head file, commit), and
 * SQLite waits for a lock synchronously: a second writer in the same process would block the thread the first one
 * needs to finish. Other processes are kept out by the lock itself (they wait up to BUSY_TIMEOUT_MS).
 */
const writeQueues = new Map<string, <T>(work: () => Promise<T>) => Promise<T>>();

function writeQueueFor(file: string): <T>(work: () => Promise<T>) => Promise<T> {
  const key = path.resolve(file);
  let queue = writeQueues.get(key);
  if (!queue) {
    let tail: Promise<unknown> = Promise.resolve();
    queue = <T>(work: () => Promise<T>): Promise<T> => {
      const run = tail.then(work, work);
      tail = run.catch(() => undefined);
      return run;
    };
    writeQueues.set(key, queue);
  }
  return queue;
}

export async function createLibsqlStore(file: string, opts: { headFile?: string } = {}): Promise<IncidentStore> {
  await mkdir(path.dirname(file), { recursive: true });
  const headFile = opts.headFile ?? path.join(path.dirname(file), HEAD_FILE_NAME);
  const db: Client = createClient({ url: `file:${file}`, timeout: BUSY_TIMEOUT_MS });
  const serialise = writeQueueFor(file);
  try {
    await serialise(async () => {
      await db.batch(SCHEMA, 'write');
      await addChainColumns(db);
      await db.batch(TRIGGERS, 'write');
      await chainLegacyRecords(db, headFile);
    });
  } catch (err) {
    db.close();
    throw err;
  }

  async function appendChained(event: AuditEvent): Promise<void> {
    const tx = await db.transaction('write');
    try {
      const last = (await tx.execute('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1')).rows[0];
      const sequence = (await tx.execute(`SELECT seq FROM sqlite_sequence WHERE name = 'audit'`)).rows[0];
      const headBefore = await readAuditHead(headFile);
      // Never reuse a number: if the last records were removed, the next one leaves a gap that verify reports.
      const seq = Math.max(Number(last?.seq ?? 0), Number(sequence?.seq ?? 0), headBefore.kind === 'present' ? headBefore.head.seq : 0) + 1;
      const prevHash = last?.hash ? String(last.hash) : GENESIS_HASH;
      const recorded: AuditEvent = { ...event, recordedAt: Date.now() };
      const hash = chainHash(seq, prevHash, recorded);
      await tx.execute({
        sql: `INSERT INTO audit (${AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        args: [seq, recorded.incidentId, recorded.type, recorded.actor, recorded.at, JSON.stringify(recorded), prevHash, hash],
      });
      // Written while the write lock is held, so appends from other processes cannot leave an older head behind.
      await writeAuditHead(headFile, { seq, hash });
      try {
        await tx.commit();
      } catch (err) {
        // best effort: the commit's error is the one worth reporting
        await restoreAuditHead(headFile, headBefore).catch(() => undefined);
        throw err;
      }
    } finally {
      tx.close();
    }
  }

  return {
    async put(incidentId: string, kind: RecordKind, data: unknown) {
      await serialise(() =>
        db.execute({
          sql: `INSERT INTO records (incident_id, kind, json, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (incident_id, kind) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at`,
          args: [incidentId, kind, JSON.stringify(data), Date.now()],
        }),
      );
    },
    async get<T>(incidentId: string, kind: RecordKind) {
      const rs = await db.execute({ sql: 'SELECT json FROM records WHERE incident_id = ? AND kind = ?', args: [incidentId, kind] });
      const row = rs.rows[0];
      return row ? (JSON.parse(String(row.json)) as T) : null;
    },
    async listIncidents() {
      const rs = await db.execute(`SELECT incident_id FROM records WHERE kind = 'incident' ORDER BY updated_at DESC, incident_id DESC`);
      return rs.rows.map((r) => String(r.incident_id));
    },
    async appendAudit(event: AuditEvent) {
      const { recordedAt: _ignored, ...valid } = AuditEventSchema.parse(event);
      await serialise(() => appendChained(valid));
    },
    async listAudit(filter = {}) {
      const rs = filter.incidentId
        ? await db.execute({ sql: `SELECT ${AUDIT_COLUMNS} FROM audit WHERE incident_id = ? ORDER BY seq`, args: [filter.incidentId] })
        : await db.execute(`SELECT ${AUDIT_COLUMNS} FROM audit ORDER BY seq`);
      return rs.rows.map((r) => toStoredEvent(toAuditRow(r)));
    },
    async verifyAudit() {
      // Holding the write lock (and the write queue) means no append, from here or another process, is
      // between writing the head file and committing its row: the rows and the head file are one snapshot.
      return serialise(async () => {
        const tx = await db.transaction('write');
        try {
          const rows = (await tx.execute(`SELECT ${AUDIT_COLUMNS} FROM audit ORDER BY seq`)).rows.map(toAuditRow);
          return verifyChain(rows, await readAuditHead(headFile));
        } finally {
          tx.close();
        }
      });
    },
    async claim(key: string, owner: string) {
      const rs = await serialise(() => db.execute({ sql: 'INSERT INTO claims (key, owner, at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING', args: [key, owner, Date.now()] }));
      return rs.rowsAffected === 1;
    },
    async close() {
      // after the writes already queued, so none is cut off half-way
      await serialise(async () => db.close());
    },
  };
}
