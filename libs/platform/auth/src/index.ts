export * from './api-key.js';
export * from './signed-context.js';
export * from './api-key-cache.js';
export * from './user-token.js';
