/**
 * bench scenarios via=prometheus: each scenario world's metrics, once written up to the alert, are exported as
 * OpenMetrics (src/world/prometheus-export.ts), backfilled into a Prometheus of their own, and read back by the real
 * PrometheusMetricsSource with the world's templates, so the investigation sees exactly what the connector makes of
 * them. Logs, traces and the CMDB still come from the world's files.
 */
import { PrometheusMetricsSource } from '../connectors/prometheus/index.js';
import type { MetricsVia } from '../runtime.js';
import { exportWorldOpenMetrics } from '../world/prometheus-export.js';
import { worldPrometheusSection } from '../world/prometheus-templates.js';
import { type BackfillOptions, startBackfilledPrometheus } from './prometheus-backfill.js';

export function worldViaPrometheus(opts: BackfillOptions = {}): MetricsVia {
  return async (world) => {
    const exported = await exportWorldOpenMetrics(world.dir);
    const prom = await startBackfilledPrometheus(exported.text, opts);
    return { metrics: new PrometheusMetricsSource({ url: prom.url, ...worldPrometheusSection(exported.gauges) }), close: prom.close };
  };
}
