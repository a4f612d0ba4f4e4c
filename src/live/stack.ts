import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Daemon, startDaemon } from './daemons.js';

/**
 * A local Prometheus and Alertmanager from the Debian packages, configured here: Prometheus scrapes the given targets
 * every second, evaluates the given alerting rules every second and sends to the Alertmanager; Alertmanager groups
 * by alert name and service (group_wait 1 s) and delivers to SRE-Copilot's webhook with a bearer token.
 */
export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';

export function missingStackBinaries(): string[] {
  return [PROMETHEUS_BIN, ALERTMANAGER_BIN].filter((b) => !existsSync(b));
}

export interface ScrapeTarget {
  job: string;
  /** host:port */
  target: string;
  /** honour the timestamps the target writes (a replayed history does) */
  honorTimestamps?: boolean;
  /** keep the target's own labels (instance, job) rather than Prometheus' (an exporter speaking for other hosts) */
  honorLabels?: boolean;
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  severity: 'critical' | 'warning';
  summary: string;
}

export interface LocalStack {
  prometheus: Daemon;
  alertmanager: Daemon;
  dir: string;
  close(): Promise<void>;
}

export async function startLocalStack(opts: { targets: ScrapeTarget[]; rules: AlertRule[]; webhookUrl: string; webhookToken?: string; log?: (line: string) => void }): Promise<LocalStack> {
  const missing = missingStackBinaries();
  if (missing.length) throw new Error(`the live stack needs ${missing.join(' and ')} (Debian: apt-get install prometheus prometheus-alertmanager)`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sre-copilot-live-'));
  const started: Daemon[] = [];
  try {
    await writeFile(path.join(dir, 'alertmanager.yml'), alertmanagerConfig(opts.webhookUrl, opts.webhookToken));
    const alertmanager = await startDaemon({
      name: 'alertmanager',
      bin: ALERTMANAGER_BIN,
      args: (port) => [`--config.file=${path.join(dir, 'alertmanager.yml')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', `--storage.path=${path.join(dir, 'alertmanager')}`],
      readyPath: '/-/ready',
    });
    started.push(alertmanager);
    opts.log?.(`live: Alertmanager on ${alertmanager.url}, delivering to ${opts.webhookUrl}`);
    await writeFile(path.join(dir, 'rules.yml'), rulesFile(opts.rules));
    await writeFile(path.join(dir, 'prometheus.yml'), prometheusConfig(opts.targets, alertmanager.url, path.join(dir, 'rules.yml')));
    const prometheus = await startDaemon({
      name: 'prometheus',
      bin: PROMETHEUS_BIN,
      args: (port) => [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'prometheus')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // a replayed history is older than the head's window would otherwise accept
        '--storage.tsdb.retention.time=30d',
        '--log.level=warn',
      ],
      readyPath: '/-/ready',
    });
    started.push(prometheus);
    opts.log?.(`live: Prometheus on ${prometheus.url}, scraping ${opts.targets.map((t) => t.target).join(', ')} every second`);
    return {
      prometheus,
      alertmanager,
      dir,
      close: async () => {
        await Promise.all(started.map((d) => d.close()));
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all(started.map((d) => d.close()));
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

const q = (s: string) => JSON.stringify(s);

function alertmanagerConfig(webhookUrl: string, token?: string): string {
  return [
    'route:',
    '  receiver: sre-copilot',
    '  group_by: [alertname, service_name]',
    '  group_wait: 1s',
    '  group_interval: 5s',
    '  repeat_interval: 1h',
    'receivers:',
    '  - name: sre-copilot',
    '    webhook_configs:',
    `      - url: ${q(webhookUrl)}`,
    '        send_resolved: true',
    ...(token ? ['        http_config:', '          authorization:', '            type: Bearer', `            credentials: ${q(token)}`] : []),
    '',
  ].join('\n');
}

function prometheusConfig(targets: ScrapeTarget[], alertmanagerUrl: string, rules: string): string {
  return [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    `rule_files: [${q(rules)}]`,
    'alerting:',
    '  alertmanagers:',
    `    - static_configs: [ { targets: [${q(new URL(alertmanagerUrl).host)}] } ]`,
    'scrape_configs:',
    ...targets.map((t) => `  - { job_name: ${q(t.job)}, honor_timestamps: ${t.honorTimestamps ?? true}, honor_labels: ${t.honorLabels ?? false}, static_configs: [ { targets: [${q(t.target)}] } ] }`),
    '',
  ].join('\n');
}

function rulesFile(rules: AlertRule[]): string {
  return [
    'groups:',
    '  - name: sre-copilot-live',
    '    rules:',
    ...rules.flatMap((r) => [
      `      - alert: ${q(r.alert)}`,
      `        expr: ${q(r.expr)}`,
      `        for: ${r.for ?? '0s'}`,
      `        labels: { severity: ${r.severity} }`,
      `        annotations: { summary: ${q(r.summary)} }`,
    ]),
    '',
  ].join('\n');
}
