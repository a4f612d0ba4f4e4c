export * from './client.js';
export * from './config-file.js';
export * from './promql.js';
export * from './source.js';
export * from './connectors.js';
export * from './topology.js';
