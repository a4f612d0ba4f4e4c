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

export const ChangeEventSchema = z.object({
  id: z.string(),
  ts: z.number(),
  kind: z.enum(['deploy', 'config', 'infra', 'feature_flag']),
  target: z.string().describe('service or host'),
  description: z.string(),
  from: z.string().optional(),
  to: z.string().optional(),
  author: z.string(),
});
export type ChangeEvent = z.infer<typeof ChangeEventSchema>;

export const CmdbSchema = z.object({
  services: z.array(CmdbServiceSchema),
  hosts: z.array(CmdbHostSchema),
  changes: z.array(ChangeEventSchema),
});
export type Cmdb = z.infer<typeof CmdbSchema>;

export const TimeWindowSchema = z.object({ fromMs: z.number(), toMs: z.number() });
export type TimeWindow = z.infer<typeof TimeWindowSchema>;
