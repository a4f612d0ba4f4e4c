export * from './robust.js';
export * from './metric-anomaly.js';
export * from './log-templates.js';
export * from './trace-analysis.js';
export { redact } from '../redaction/redact.js';
export * from './experts/index.js';
export * from './template-compare.js';
