export * from './isolated-schema.js';
export * from './pipelined-copies.js';
export * from './postgres.js';
export * from './query-logger.js';
