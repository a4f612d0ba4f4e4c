import { z } from 'zod';
import type { Connectors } from '../types.js';
import { loadCopilotFileConfig, type PrometheusSection } from './config-file.js';
import { PrometheusMetricsSource } from './source.js';
import { PrometheusTopology } from './topology.js';

/** What the composition root knows about Prometheus: config.sources (PROMETHEUS_URL, SRE_COPILOT_CONFIG). */
export interface PrometheusSourceSettings {
  prometheusUrl?: string;
  configFile?: string;
}

/**
 * The Prometheus source for a deployment: the YAML file's `prometheus:` section (limits, mappings, KPIs) with
 * PROMETHEUS_URL winning over its `url`. Null when neither gives a URL (Prometheus not configured); an Error naming
 * the file when the YAML is unreadable or invalid.
 */
export function prometheusSourceFromSettings(settings: PrometheusSourceSettings, fetchImpl?: typeof fetch): PrometheusMetricsSource | null {
  const section: Partial<PrometheusSection> = settings.configFile ? loadCopilotFileConfig(settings.configFile).prometheus : {};
  const url = settings.prometheusUrl ?? section.url;
  if (!url) return null;
  return new PrometheusMetricsSource({ ...section, url, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
}

const ConnectorOptionsSchema = z.object({
  url: z.url().optional(),
  configFile: z.string().min(1).optional(),
});

/**
 * The `prometheus` connector kind: metrics from Prometheus, a CMDB discovered from them (PrometheusTopology), and
 * empty logs and traces (the runtime combines them with other connectors). Options: `url` and/or `configFile` (the
 * SRE_COPILOT_CONFIG YAML).
 */
export function createPrometheusConnectors(options: Record<string, unknown>): Connectors {
  const parsed = ConnectorOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new Error(`connector kind "prometheus": ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const { url, configFile } = parsed.data;
  const metrics = prometheusSourceFromSettings({ ...(url ? { prometheusUrl: url } : {}), ...(configFile ? { configFile } : {}) });
  if (!metrics) throw new Error('connector kind "prometheus" needs a "url" (PROMETHEUS_URL) or a config file whose prometheus.url is set');
  return {
    metrics,
    logs: { read: async () => [] },
    traces: { spans: async () => [] },
    cmdb: new PrometheusTopology(metrics),
  };
}
