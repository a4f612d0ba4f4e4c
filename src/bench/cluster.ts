import { createHmac } from 'node:crypto';
import path from 'node:path';
import { type Daemon, startDaemon, stopChild } from '../live/daemons.js';
import { blockActionsPayload, startSlackRecorder, type SlackRecorder } from './slack-recorder.js';

/**
 * SRE-Copilot as a cluster on this machine, for `bench load` and the cluster integration tests: `sre-copilot serve`
 * and N `sre-copilot worker` processes on one Redis (the queue) and one PostgreSQL schema (the store), all posting
 * to a recorded stand-in for Slack's Web API, so that every thread can be read back. Each process is started as a
 * user would start it (bin/sre-copilot), on loopback ports, and killed with this process if it exits first.
 */
export interface ClusterOptions {
  workers: number;
  /** investigations at once per worker (default: the worker's own default) */
  concurrency?: number;
  /** the shared engines and where the processes keep files: DATABASE_URL, SRE_COPILOT_DB_SCHEMA, REDIS_URL, SRE_COPILOT_QUEUE_PREFIX, SRE_COPILOT_HOME */
  env: Record<string, string>;
  /** a worker's job lock: a killed worker's job is taken back after about two of these */
  lockMs?: number;
  log?: (line: string) => void;
}

export interface Cluster {
  serve: Daemon;
  workers: Daemon[];
  slack: SlackRecorder;
  /** stderr of every worker so far, by worker index */
  workerLog(index: number): string;
  /** POSTs an Alertmanager v4 notification to serve */
  alertmanager(payload: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  /** a person clicks a button of a message in a thread: Slack's signed block_actions request to serve */
  click(user: string, value: string, message: { ts: string; threadTs: string; blocks: unknown[] }): Promise<number>;
  close(): Promise<void>;
}

const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const WEBHOOK_TOKEN = 'cluster-webhook-token';
/** the Slack user who may approve plans in the cluster */
export const APPROVER = 'UAPPROVER';
const SIGNING_SECRET = 'cluster-signing-secret';

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const slack = await startSlackRecorder();
  const env = (port: number): NodeJS.ProcessEnv => ({
    ...process.env,
    ...opts.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    SLACK_BOT_TOKEN: 'xoxb-cluster',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_APP_TOKEN: '',
    SLACK_API_URL: slack.url,
    SLACK_ALERT_CHANNELS: 'CALERTS',
    SLACK_APPROVERS: APPROVER,
    DISCORD_TOKEN: '',
    SRE_COPILOT_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
    SRE_COPILOT_DETECT_CRON: 'off',
    SRE_COPILOT_JOB_LOCK_MS: String(opts.lockMs ?? 30_000),
  });
  const logs: string[] = [];
  const bin = path.join(ROOT, 'bin', 'sre-copilot');
  const started: Daemon[] = [];
  try {
    // serve first: it migrates the schema once, before the workers open it
    const serve = await startDaemon({ name: 'sre-copilot serve', bin, args: () => ['serve'], readyPath: '/readyz', readyTimeoutMs: 120_000, env });
    started.push(serve);
    opts.log?.(`cluster: serve on ${serve.url}`);
    const workers = await Promise.all(
      Array.from({ length: opts.workers }, async (_, i) => {
        logs[i] = '';
        const worker = await startDaemon({
          name: `sre-copilot worker ${i + 1}`,
          bin,
          // the worker's own default unless a test asks for another
          args: (port) => ['worker', '--port', String(port), ...(opts.concurrency ? ['--concurrency', String(opts.concurrency)] : [])],
          readyPath: '/readyz',
          readyTimeoutMs: 120_000,
          env,
        });
        worker.child.stderr?.on('data', (b: Buffer) => (logs[i] += b.toString()));
        started.push(worker);
        return worker;
      }),
    );
    opts.log?.(`cluster: ${workers.length} worker(s) ready`);
    return {
      serve,
      workers,
      slack,
      workerLog: (i) => logs[i] ?? '',
      async alertmanager(payload) {
        const res = await fetch(`${serve.url}/webhooks/alertmanager`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
          body: JSON.stringify(payload),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      },
      async click(user, value, message) {
        const payload = blockActionsPayload({ user, value, ts: message.ts, threadTs: message.threadTs, blocks: message.blocks });
        const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
        const ts = Math.floor(Date.now() / 1000);
        const signature = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
        const res = await fetch(`${serve.url}/slack/events`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-signature': signature, 'x-slack-request-timestamp': String(ts) },
        });
        await res.body?.cancel();
        return res.status;
      },
      async close() {
        await Promise.all(started.map((d) => stopChild(d.child)));
        await slack.close();
      },
    };
  } catch (err) {
    await Promise.all(started.map((d) => stopChild(d.child)));
    await slack.close();
    throw err;
  }
}

/**
 * An Alertmanager v4 notification of one firing alert about `service`. Services outside the CMDB are on no call path
 * with each other, so distinct ones open distinct incidents (correlation would rightly join alerts on one path).
 */
export function firingNotification(name: string, service: string, at = new Date()): Record<string, unknown> {
  return {
    version: '4',
    groupKey: `{}:{alertname="${name}"}`,
    status: 'firing',
    receiver: 'sre-copilot',
    groupLabels: { alertname: name },
    commonLabels: { alertname: name, service },
    alerts: [{ status: 'firing', labels: { alertname: name, service, severity: 'critical' }, annotations: { summary: `${service} 5xx above 5%` }, startsAt: at.toISOString(), fingerprint: name }],
  };
}

/** The peak resident memory of a process so far (VmHWM, Linux), in MB; null where /proc cannot tell. */
export async function peakRssMb(pid: number | undefined): Promise<number | null> {
  if (!pid) return null;
  try {
    const status = await (await import('node:fs/promises')).readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}
