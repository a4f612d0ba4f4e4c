import { z } from 'zod';
import type { AnyValueLike, KeyValueLike } from './values.js';

/**
 * OTLP/JSON (the protobuf JSON mapping with OTLP's deviations): lowerCamelCase keys, ids as hex strings, enums as
 * integers, 64-bit integers as decimal strings or numbers. Unknown keys are ignored, as the spec asks of receivers.
 * The envelopes validate only the nesting; each record is validated on its own, so one bad span is a partial
 * success rather than a rejected batch.
 */

/**
 * JSON producers differ: the Collector writes "1700000000000000000", the JS SDK a number; null is tolerated as absent.
 * Not z.number().int(): that stops at 2^53, and nanosecond timestamps are far beyond it.
 */
export const Int64JsonSchema = z.union([
  z.string().regex(/^-?\d+$/, 'a 64-bit integer as a decimal string'),
  z.number().refine(Number.isInteger, 'a 64-bit integer'),
]);
const optional = <T extends z.ZodType>(schema: T) => schema.nullish();

export const AnyValueJsonSchema: z.ZodType<AnyValueLike> = z.lazy(() =>
  z.object({
    stringValue: optional(z.string()),
    boolValue: optional(z.boolean()),
    intValue: optional(Int64JsonSchema),
    doubleValue: optional(z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])])),
    arrayValue: optional(z.object({ values: optional(z.array(AnyValueJsonSchema)) })),
    kvlistValue: optional(z.object({ values: optional(z.array(KeyValueJsonSchema)) })),
    bytesValue: optional(z.base64()),
  }),
);
export const KeyValueJsonSchema: z.ZodType<KeyValueLike> = z.lazy(() => z.object({ key: z.string(), value: optional(AnyValueJsonSchema) }));
const AttributesJsonSchema = optional(z.array(KeyValueJsonSchema));
const ResourceJsonSchema = optional(z.object({ attributes: AttributesJsonSchema }));

/** an enum: OTLP/JSON requires the integer, but the names ("SPAN_KIND_SERVER") are accepted too */
const EnumJsonSchema = z.union([z.number().int(), z.string()]);

export const SpanJsonSchema = z.object({
  traceId: z.string(),
  spanId: z.string(),
  parentSpanId: optional(z.string()),
  name: z.string(),
  kind: optional(EnumJsonSchema),
  startTimeUnixNano: Int64JsonSchema,
  endTimeUnixNano: Int64JsonSchema,
  attributes: AttributesJsonSchema,
  status: optional(z.object({ code: optional(EnumJsonSchema), message: optional(z.string()) })),
});

export const LogRecordJsonSchema = z.object({
  timeUnixNano: optional(Int64JsonSchema),
  observedTimeUnixNano: optional(Int64JsonSchema),
  severityNumber: optional(EnumJsonSchema),
  severityText: optional(z.string()),
  body: optional(AnyValueJsonSchema),
  attributes: AttributesJsonSchema,
  traceId: optional(z.string()),
  spanId: optional(z.string()),
});

const records = optional(z.array(z.unknown()));

export const TracesRequestJsonSchema = z.object({
  resourceSpans: optional(z.array(z.object({ resource: ResourceJsonSchema, scopeSpans: optional(z.array(z.object({ spans: records }))) }))),
});
export const LogsRequestJsonSchema = z.object({
  resourceLogs: optional(z.array(z.object({ resource: ResourceJsonSchema, scopeLogs: optional(z.array(z.object({ logRecords: records }))) }))),
});

const NumberDataPointJsonSchema = z.object({
  attributes: AttributesJsonSchema,
  timeUnixNano: optional(Int64JsonSchema),
  asDouble: optional(z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])])),
  asInt: optional(Int64JsonSchema),
});
const HistogramDataPointJsonSchema = z.object({
  attributes: AttributesJsonSchema,
  startTimeUnixNano: optional(Int64JsonSchema),
  timeUnixNano: optional(Int64JsonSchema),
  count: optional(Int64JsonSchema),
  sum: optional(z.number()),
  bucketCounts: optional(z.array(Int64JsonSchema)),
  explicitBounds: optional(z.array(z.number())),
});
export const MetricJsonSchema = z.object({
  name: z.string(),
  unit: optional(z.string()),
  gauge: optional(z.object({ dataPoints: optional(z.array(NumberDataPointJsonSchema)) })),
  sum: optional(
    z.object({ dataPoints: optional(z.array(NumberDataPointJsonSchema)), aggregationTemporality: optional(EnumJsonSchema), isMonotonic: optional(z.boolean()) }),
  ),
  histogram: optional(z.object({ dataPoints: optional(z.array(HistogramDataPointJsonSchema)), aggregationTemporality: optional(EnumJsonSchema) })),
});
export const MetricsRequestJsonSchema = z.object({
  resourceMetrics: optional(z.array(z.object({ resource: ResourceJsonSchema, scopeMetrics: optional(z.array(z.object({ metrics: records }))) }))),
});

/** the first issue of a failed parse, in words, for the 400 answer or the partial-success message */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  return issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}
