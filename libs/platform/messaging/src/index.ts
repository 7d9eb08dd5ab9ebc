export * from './consumer.js';
export * from './messaging-tables.migration.js';
export * from './nats.js';
export * from './outbox.js';
export * from './rpc.js';
export * from './streams.js';
