export * from './isolated-schema.js';
export * from './postgres.js';
