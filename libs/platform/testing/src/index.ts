export * from './known-profiles.js';
export * from './nats-server-process.js';
export * from './test-keys.js';
export * from './test-messaging.js';
export * from './test-subgraph.js';
export { createIsolatedSchema, TEST_DATABASE_URL, type IsolatedSchema } from '@boomerang/platform/persistence';
