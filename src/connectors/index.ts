export * from './types.js';
export * from './registry.js';
export * from './files/index.js';
