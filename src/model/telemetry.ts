import { z } from 'zod';

/** Telemetry as connectors return it: the same shapes whatever the real source is (files, Prometheus, Loki, OTLP). */

export const MetricPointSchema = z.object({
  ts: z.number().describe('epoch milliseconds'),
  value: z.number(),
});
export type MetricPoint = z.infer<typeof MetricPointSchema>;

export const MetricSeriesSchema = z.object({
  entity: z.string().describe('service, host or "business"'),
  metric: z.string(),
  points: z.array(MetricPointSchema),
});
export type MetricSeries = z.infer<typeof MetricSeriesSchema>;

export const LogLevelSchema = z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']);
export type LogLevel = z.infer<typeof LogLevelSchema>;

export const LogRecordSchema = z.object({
  ts: z.number(),
  service: z.string(),
  level: LogLevelSchema,
  message: z.string(),
  host: z.string().optional(),
  traceId: z.string().optional(),
});
export type LogRecord = z.infer<typeof LogRecordSchema>;

export const SpanKindSchema = z.enum(['SERVER', 'CLIENT', 'INTERNAL', 'PRODUCER', 'CONSUMER']);
export const SpanSchema = z.object({
  traceId: z.string(),
  spanId: z.string(),
  parentSpanId: z.string().optional(),
  service: z.string(),
  name: z.string(),
  kind: SpanKindSchema,
  startMs: z.number(),
  endMs: z.number(),
  status: z.enum(['OK', 'ERROR', 'UNSET']),
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});
export type Span = z.infer<typeof SpanSchema>;

export const ComponentKindSchema = z.enum(['gateway', 'service', 'database', 'cache', 'queue', 'external']);
export type ComponentKind = z.infer<typeof ComponentKindSchema>;

export const CmdbServiceSchema = z.object({
  name: z.string(),
  kind: ComponentKindSchema,
  tier: z.number().int().min(0).max(3).describe('0 = customer-facing critical'),
  owner: z.string().describe('owning team'),
  oncall: z.string().optional(),
  hosts: z.array(z.string()),
  dependsOn: z.array(z.string()).describe('services this one calls'),
  version: z.string().optional(),
  runbook: z.string().optional(),
});
export type CmdbService = z.infer<typeof CmdbServiceSchema>;

export const CmdbHostSchema = z.object({
  name: z.string(),
  zone: z.string(),
  cpus: z.number(),
  memoryGb: z.number(),
  diskGb: z.number(),
});
export type CmdbHost = z.infer<typeof CmdbHostSchema>;

/**
 * Who made a change, when it matters: 'remediation' marks an action taken to fix an incident (the copilot's own, or
 * other incident automation's). Such a change is context for a later diagnosis, never a suspect, and a version it
 * rolled away from is never proposed again. Absent: an ordinary change (a release, a config edit, a patch).
 */
export const ChangeOriginSchema = z.literal('remediation');
export type ChangeOrigin = z.infer<typeof ChangeOriginSchema>;

export const ChangeEventSchema = z.object({
  id: z.string(),
  ts: z.number(),
  /** operation: an action on a running component that is neither a deploy nor a config change (restart, scale-out, failover …) */
  kind: z.enum(['deploy', 'config', 'infra', 'feature_flag', 'operation']),
  target: z.string().describe('service, host, or a link "caller->callee"'),
  description: z.string(),
  from: z.string().optional(),
  to: z.string().optional(),
  author: z.string(),
  origin: ChangeOriginSchema.optional(),
  incidentId: z.string().optional().describe('the incident a remediation change was made for'),
  planId: z.string().optional().describe('the approved plan that made a remediation change'),
});
export type ChangeEvent = z.infer<typeof ChangeEventSchema>;

/** The remediation that later took a change away (rolled its version back, reverted its value), if any: the first. */
export function undoneByRemediation(c: ChangeEvent, changes: readonly ChangeEvent[]): ChangeEvent | undefined {
  if (c.origin === 'remediation' || c.to === undefined) return undefined;
  return changes
    .filter((r) => r.origin === 'remediation' && r.target === c.target && r.kind === c.kind && r.ts > c.ts && r.from === c.to)
    .sort((a, b) => a.ts - b.ts)[0];
}

export const CmdbSchema = z.object({
  services: z.array(CmdbServiceSchema),
  hosts: z.array(CmdbHostSchema),
  changes: z.array(ChangeEventSchema),
});
export type Cmdb = z.infer<typeof CmdbSchema>;

export const TimeWindowSchema = z.object({ fromMs: z.number(), toMs: z.number() });
export type TimeWindow = z.infer<typeof TimeWindowSchema>;
