export * from './telemetry.js';
export * from './incident.js';
export * from './evidence.js';
export * from './remediation.js';
export * from './report.js';
