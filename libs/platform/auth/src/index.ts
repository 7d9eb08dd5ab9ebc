export * from './api-key.js';
export * from './signed-context.js';
