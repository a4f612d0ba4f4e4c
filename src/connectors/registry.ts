import { createFileConnectors } from './files/index.js';
import { createPrometheusConnectors } from './prometheus/connectors.js';
import type { Connectors } from './types.js';

export interface ConnectorConfig {
  kind: string;
  /** telemetry folder, for the `files` kind */
  dir?: string;
  [option: string]: unknown;
}
export type ConnectorFactory = (config: ConnectorConfig) => Connectors;

/** Connector kinds → factories. Add a kind here (or with registerConnectorKind) to support another backend. */
export const connectorKinds: Record<string, ConnectorFactory> = {
  files: (config) => {
    if (typeof config.dir !== 'string' || config.dir === '') {
      throw new Error('connector kind "files" needs a "dir" (the telemetry folder)');
    }
    return createFileConnectors(config.dir);
  },
  prometheus: (config) => createPrometheusConnectors(config),
};

export function registerConnectorKind(kind: string, factory: ConnectorFactory): void {
  connectorKinds[kind] = factory;
}

export function createConnectors(config: ConnectorConfig): Connectors {
  const factory = Object.hasOwn(connectorKinds, config.kind) ? connectorKinds[config.kind] : undefined;
  if (!factory) {
    const known = Object.keys(connectorKinds).sort().join(', ');
    throw new Error(`unknown connector kind "${config.kind}" (known kinds: ${known})`);
  }
  return factory(config);
}
