import { z } from 'zod';
import { TimeWindowSchema } from './telemetry.js';

export const SeveritySchema = z.enum(['critical', 'high', 'warning', 'info']);
export type Severity = z.infer<typeof SeveritySchema>;

/** An alert as parsed from any source, before it becomes an incident. */
export const AlertSchema = z.object({
  name: z.string().min(1),
  severity: SeveritySchema,
  service: z.string().optional(),
  summary: z.string(),
  labels: z.record(z.string(), z.string()),
  startsAt: z.number(),
  source: z.string().describe('alertmanager, grafana, plain-text, …'),
  /** the source's own identity of the alert (Alertmanager/Grafana fingerprint, PagerDuty incident id, …) */
  fingerprint: z.string().min(1).max(200).optional(),
  /** false when the payload carried no start time and `startsAt` is when it was parsed */
  startsAtKnown: z.boolean().optional(),
});
export type Alert = z.infer<typeof AlertSchema>;

/** Something that asks SRE-Copilot to act: an alert landing in a channel, or a person's question. */
export const SignalSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('alert'), alert: AlertSchema, receivedAt: z.number() }),
  z.object({
    kind: z.literal('question'),
    text: z.string().min(1),
    user: z.string(),
    receivedAt: z.number(),
  }),
]);
export type Signal = z.infer<typeof SignalSchema>;

export const ThreadRefSchema = z.object({ channel: z.string(), threadId: z.string() });
export type ThreadRef = z.infer<typeof ThreadRefSchema>;

export const IncidentStatusSchema = z.enum(['investigating', 'diagnosed', 'mitigating', 'resolved', 'unresolved']);

export const IncidentSchema = z.object({
  id: z.string(),
  title: z.string(),
  severity: SeveritySchema,
  services: z.array(z.string()).describe('services named by the signal (symptoms, not causes)'),
  window: TimeWindowSchema,
  thread: ThreadRefSchema,
  status: IncidentStatusSchema,
  signal: SignalSchema,
  createdAt: z.number(),
});
export type Incident = z.infer<typeof IncidentSchema>;
