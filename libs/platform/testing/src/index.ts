export * from './isolated-schema.js';
export * from './known-profiles.js';
export * from './nats-server-process.js';
export * from './test-keys.js';
export * from './test-messaging.js';
export * from './test-subgraph.js';
