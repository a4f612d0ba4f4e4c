/** Writes the telemetry folder (docs/telemetry-format.md): fresh on start, appended on advance. */
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface Chunk {
  metrics: string[]; // CSV rows without newline
  logs: Map<string, string[]>;
  spans: string[]; // one JSON line per minute
}

export const METRICS_HEADER = 'timestamp,entity,metric,value';

export class TelemetryWriter {
  constructor(readonly dir: string) {}

  async reset(logServices: string[]): Promise<void> {
    const d = this.dir;
    await mkdir(d, { recursive: true });
    for (const p of ['metrics.csv', 'logs', 'traces', 'alerts', 'cmdb.yaml', 'ground-truth.json']) {
      await rm(join(d, p), { recursive: true, force: true });
    }
    await Promise.all(['logs', 'traces', 'alerts'].map((p) => mkdir(join(d, p), { recursive: true })));
    await writeFile(join(d, 'metrics.csv'), `${METRICS_HEADER}\n`);
    await writeFile(join(d, 'traces', 'spans.jsonl'), '');
    await Promise.all(logServices.map((s) => writeFile(join(d, 'logs', `${s}.log`), '')));
  }

  async append(c: Chunk): Promise<void> {
    const d = this.dir;
    const jobs: Promise<void>[] = [];
    if (c.metrics.length) jobs.push(appendFile(join(d, 'metrics.csv'), `${c.metrics.join('\n')}\n`));
    if (c.spans.length) jobs.push(appendFile(join(d, 'traces', 'spans.jsonl'), `${c.spans.join('\n')}\n`));
    for (const [svc, lines] of c.logs) {
      if (lines.length) jobs.push(appendFile(join(d, 'logs', `${svc}.log`), `${lines.join('\n')}\n`));
    }
    await Promise.all(jobs);
  }

  async writeYaml(name: string, doc: unknown): Promise<void> {
    await writeFile(join(this.dir, name), stringify(doc, { lineWidth: 0 }));
  }

  async writeJson(name: string, doc: unknown): Promise<void> {
    await mkdir(join(this.dir, name, '..'), { recursive: true });
    await writeFile(join(this.dir, name), `${JSON.stringify(doc, null, 2)}\n`);
  }
}
