export * from './conditions.js';
export * from './leaf-hit-codec.js';
export * from './leaves.js';
export * from './rules.js';
export * from './sql.js';
export * from './validate.js';
export * from './scan.js';
