import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from './registry.js';

const SLACK_TOKEN = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const EMAIL = 'jane.doe@customer-mail.example.com';
const PHONE = '+44 20 7946 0958';
const DB_PASSWORD = 'Sup3rS3cretPw';
const POSTGRES_URL = `postgres://orders_app:${DB_PASSWORD}@orders-db.internal:5432/orders`;
const SECRETS = [SLACK_TOKEN, AWS_KEY, EMAIL, 'jane.doe', PHONE, '7946 0958', DB_PASSWORD];

/** Every file of the database (the .db itself and any -wal or -journal beside it), as raw bytes. */
async function databaseBytes(home: string): Promise<{ files: string[]; bytes: Buffer }> {
  const files = (await readdir(home)).filter((f) => f.startsWith('sre-copilot.db'));
  const bytes = Buffer.concat(await Promise.all(files.map((f) => readFile(path.join(home, f)))));
  return { files, bytes };
}

describe('the store redacts before writing', () => {
  it('keeps no secret, email or phone number in the database files, and keeps everything else', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'sre-store-redaction-'));
    const store = await openStore('libsql', home);
    const summary = `checkout failing for ${EMAIL} (${PHONE}); bot ${SLACK_TOKEN} key ${AWS_KEY} dsn ${POSTGRES_URL}`;
    await store.put('INC-1', 'incident', {
      id: 'INC-1',
      title: 'PaymentSuccessRateLow',
      signal: { kind: 'alert', alert: { name: 'PaymentSuccessRateLow', summary, labels: { owner: EMAIL, db_password: DB_PASSWORD } } },
      thread: { channel: 'slack', threadId: 'CALERTS/1699999999.000200' },
      window: { fromMs: 1_763_630_000_000, toMs: 1_763_631_800_000 },
    });
    await store.put('INC-1', 'findings', [
      { component: 'payment-service', score: 0.77, summary: 'connection refused', evidence: [`dial ${POSTGRES_URL}: refused`, `paged ${EMAIL} at ${PHONE}`] },
    ]);
    await store.appendAudit({ type: 'proposed', incidentId: 'INC-1', planId: 'plan-1', planHash: 'abc123', actor: 'UALICE', at: 1, detail: `restart; notify ${EMAIL} ${PHONE}; token ${SLACK_TOKEN} ${AWS_KEY} ${POSTGRES_URL}` });

    // what reads give back is what was written: already redacted
    const incident = await store.get<{ signal: { alert: { summary: string; labels: Record<string, string> } }; thread: { threadId: string } }>('INC-1', 'incident');
    expect(incident!.signal.alert.summary).toBe(
      'checkout failing for [REDACTED EMAIL] ([REDACTED PHONE]); bot [REDACTED SLACK TOKEN] key [REDACTED AWS KEY] dsn postgres://orders_app:[REDACTED]@orders-db.internal:5432/orders',
    );
    expect(incident!.signal.alert.labels).toEqual({ owner: '[REDACTED EMAIL]', db_password: '[REDACTED]' });
    expect(incident!.thread.threadId).toBe('CALERTS/1699999999.000200');
    const [event] = await store.listAudit({ incidentId: 'INC-1' });
    expect(event).toMatchObject({ type: 'proposed', incidentId: 'INC-1', planId: 'plan-1', planHash: 'abc123', actor: 'UALICE', at: 1 });
    expect(event!.detail).toBe('restart; notify [REDACTED EMAIL] [REDACTED PHONE]; token [REDACTED SLACK TOKEN] [REDACTED AWS KEY] postgres://orders_app:[REDACTED]@orders-db.internal:5432/orders');
    expect(await store.listIncidents()).toEqual(['INC-1']);
    await store.close();

    const { files, bytes } = await databaseBytes(home);
    expect(files).toContain('sre-copilot.db');
    const raw = bytes.toString('latin1');
    for (const secret of SECRETS) expect(raw, `"${secret}" is in ${files.join(', ')}`).not.toContain(secret);
    for (const kept of ['PaymentSuccessRateLow', 'orders-db.internal:5432/orders', 'CALERTS/1699999999.000200', 'payment-service', 'UALICE', 'abc123', '[REDACTED EMAIL]', '[REDACTED PHONE]']) {
      expect(raw).toContain(kept);
    }
  });

  it('passes reads and every other method through to the backend', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'sre-store-redaction-'));
    const store = await openStore('libsql', home);
    await store.put('INC-2', 'report', { title: 'nothing secret', at: new Date(Date.UTC(2026, 10, 20)) });
    expect(await store.get('INC-2', 'report')).toEqual({ title: 'nothing secret', at: '2026-11-20T00:00:00.000Z' });
    expect(await store.get('INC-2', 'plan')).toBeNull();
    await expect(store.appendAudit({ type: 'nonsense', incidentId: 'x', actor: 'a', at: 1, detail: '' } as never)).rejects.toThrow();
    await store.close();
  });
});
