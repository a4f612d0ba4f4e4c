import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SchedulesSectionSchema } from '../../schedules/config-schema.js';
import { DEFAULT_TEMPLATES, type EntityKind, type MetricTemplate, unknownPlaceholders } from './promql.js';

/**
 * The `prometheus:` section of the SRE-Copilot YAML config (SRE_COPILOT_CONFIG; docs/examples/sre-copilot.yaml).
 * Everything is optional: with no file at all the OpenTelemetry / node-exporter conventions apply. The file's
 * `schedules:` section (detection jobs) is validated here too, with its schema from src/schedules/config-schema.ts.
 */

const PromqlSchema = z
  .string()
  .min(1)
  .refine((q) => unknownPlaceholders(q).length === 0, {
    message: 'unknown placeholder (known: {{service}}, {{match}}, {{range}}, {{step}})',
  });

const MetricEntrySchema = z.union([
  z.object({ promql: PromqlSchema, unit: z.string().default('') }).strict(),
  z.null().describe('null turns a default mapping off'),
]);
const MetricTableSchema = z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'metric names are snake_case'), MetricEntrySchema);

const DurationMs = z
  .union([z.number().positive(), z.string().regex(/^\d+(ms|s|m|h)$/, 'a duration like 500ms, 30s, 2m or 1h')])
  .transform((v) => (typeof v === 'number' ? v : parseDurationMs(v)));

export const PrometheusSectionSchema = z
  .object({
    url: z.url().optional().describe('PROMETHEUS_URL wins over it'),
    timeoutMs: z.number().int().positive().default(10_000),
    /** series kept per query; more are dropped (and reported in diagnostics) */
    maxSeries: z.number().int().positive().default(500),
    /** points per series: the step grows so that a range never yields more */
    maxPoints: z.number().int().positive().default(1_500),
    /** bytes of one answer; a bigger one is abandoned while it streams in */
    maxResponseBytes: z.number().int().positive().default(20 * 1024 * 1024),
    /** the smallest step; the experts' detectors expect one point a minute */
    step: DurationMs.default(60_000),
    /** the rate() window; at least twice the step is used */
    rateWindow: DurationMs.default(120_000),
    /** the label naming services; unset: service_name, else service, else job, whichever the server has */
    serviceLabel: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/).optional(),
    /** overrides or additions per entity kind; `null` removes a default */
    metrics: z
      .object({ service: MetricTableSchema, host: MetricTableSchema, edge: MetricTableSchema })
      .partial()
      .strict()
      .default({}),
    /** business KPIs (entity "business"): one series each, e.g. orders_per_minute */
    kpis: MetricTableSchema.default({}),
  })
  .strict();
export type PrometheusSection = z.infer<typeof PrometheusSectionSchema>;
/** the section as written (durations may be strings such as "30s") */
export type PrometheusSectionInput = z.input<typeof PrometheusSectionSchema>;

export const CopilotFileConfigSchema = z
  .object({
    prometheus: PrometheusSectionSchema.default(PrometheusSectionSchema.parse({})),
    /** detection jobs of the deployment's own, next to the built-in one (src/schedules/config-schema.ts, docs/detection.md) */
    schedules: SchedulesSectionSchema.default([]),
  })
  .passthrough();

/** Reads and validates the YAML config; a clear Error naming the file and the first problems when it is wrong. */
export function loadCopilotFileConfig(path: string): z.infer<typeof CopilotFileConfigSchema> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`SRE_COPILOT_CONFIG: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseCopilotFileConfig(text, path);
}

export function parseCopilotFileConfig(text: string, where = 'the config'): z.infer<typeof CopilotFileConfigSchema> {
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (e) {
    throw new Error(`SRE_COPILOT_CONFIG: ${where} is not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  const parsed = CopilotFileConfigSchema.safeParse(doc);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
    throw new Error(`SRE_COPILOT_CONFIG: ${where} is invalid (${problems})`);
  }
  return parsed.data;
}

/** The defaults with the section's overrides, removals and additions applied; KPIs become business templates. */
export function effectiveTemplates(section: Pick<PrometheusSection, 'metrics' | 'kpis'>): MetricTemplate[] {
  const byKey = new Map<string, MetricTemplate>(DEFAULT_TEMPLATES.map((t) => [`${t.kind}:${t.metric}`, t]));
  const apply = (kind: EntityKind, entries: Record<string, { promql: string; unit: string } | null> | undefined) => {
    for (const [metric, entry] of Object.entries(entries ?? {})) {
      if (entry === null) byKey.delete(`${kind}:${metric}`);
      else byKey.set(`${kind}:${metric}`, { kind, metric, promql: entry.promql, unit: entry.unit });
    }
  };
  apply('service', section.metrics.service);
  apply('host', section.metrics.host);
  apply('edge', section.metrics.edge);
  apply('business', section.kpis);
  return [...byKey.values()];
}

function parseDurationMs(v: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(v)!;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}
