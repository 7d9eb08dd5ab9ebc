export * from './message.js';
export * from './messages.js';
export * from './profile-ids.rpc.js';
export * from './rpc.js';
export * from './subjects.js';
export * from './audience.rpc.js';
export * from './email.js';
export * from './identity-lookup.rpc.js';
