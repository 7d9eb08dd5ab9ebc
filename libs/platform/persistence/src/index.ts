export * from './pipelined-copies.js';
export * from './postgres.js';
export * from './query-logger.js';
export * from './notifications.js';
