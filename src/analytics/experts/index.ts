export type { ExpertContext, ExpertFn } from './types.js';
export { changesExpert, topology, type Topology } from './changes.js';
export { kpiExpert, kpiExpectation } from './kpi.js';
export { logsExpert, classifyLogText } from './logs.js';
export { metricsExpert } from './metrics.js';
export { tracesExpert } from './traces.js';
export { finalize, MAX_FINDINGS, MIN_SCORE } from './util.js';
