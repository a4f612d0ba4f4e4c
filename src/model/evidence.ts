import { z } from 'zod';
import { ChangeOriginSchema } from './telemetry.js';

export const FaultKindSchema = z.enum([
  'cpu_saturation',
  'memory_leak',
  'disk_full',
  'network_latency',
  'db_connection_exhaustion',
  'bad_deploy',
  'config_change',
  'third_party_timeout',
  'cache_outage',
]);
export type FaultKind = z.infer<typeof FaultKindSchema>;
export const FAULT_KINDS = FaultKindSchema.options;

export const ExpertSchema = z.enum(['logs', 'traces', 'kpi', 'metrics', 'cmdb']);
export type Expert = z.infer<typeof ExpertSchema>;

export const AnomalyKindSchema = z.enum([
  'level_shift',
  'spike',
  'trend',
  'new_template',
  'template_surge',
  'error_burst',
  'latency',
  'errors',
  'edge_latency',
  'saturation',
  'restart',
  'change',
  'kpi_drop',
]);
export type AnomalyKind = z.infer<typeof AnomalyKindSchema>;

/** One expert's observation about one component. Evidence is short, human-readable and already redacted. */
export const FindingSchema = z.object({
  id: z.string(),
  expert: ExpertSchema,
  component: z.string().describe('service, host, "business", or a link "caller->callee"'),
  signal: z.string().describe('metric name, log template id, operation, or change id'),
  anomaly: AnomalyKindSchema,
  summary: z.string(),
  evidence: z.array(z.string()),
  score: z.number().min(0).max(1),
  onsetMs: z.number(),
  direction: z.enum(['up', 'down']).optional(),
  faultHints: z.array(FaultKindSchema).describe('fault kinds this observation is typical of'),
  series: z.object({ entity: z.string(), metric: z.string() }).optional().describe('chartable series'),
  origin: ChangeOriginSchema.optional().describe("on a change finding: 'remediation' when the change was a fix (context, never a suspect)"),
});
export type Finding = z.infer<typeof FindingSchema>;

export const ReflectionCheckSchema = z.object({
  name: z.enum(['explains_symptoms', 'precedes_symptoms', 'no_counter_evidence', 'kind_supported']),
  passed: z.boolean(),
  detail: z.string(),
});
export type ReflectionCheck = z.infer<typeof ReflectionCheckSchema>;

export const HypothesisSchema = z.object({
  id: z.string(),
  component: z.string(),
  kind: FaultKindSchema,
  score: z.number().min(0),
  confidence: z.number().min(0).max(1),
  onsetMs: z.number(),
  evidence: z.array(z.string()),
  findingIds: z.array(z.string()),
  explains: z.array(z.string()).describe('symptomatic components this cause accounts for'),
});
export type Hypothesis = z.infer<typeof HypothesisSchema>;

export const ReflectionSchema = z.object({
  verdict: z.enum(['confirmed', 'demoted', 'uncertain']),
  examined: z.string().describe('hypothesis id first examined'),
  checks: z.array(ReflectionCheckSchema),
  notes: z.array(z.string()),
});
export type Reflection = z.infer<typeof ReflectionSchema>;
