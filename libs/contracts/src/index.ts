export * from './message.js';
export * from './messages.js';
export * from './rpc.js';
export * from './subjects.js';
