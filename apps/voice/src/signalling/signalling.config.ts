/** The WebSocket path on the voice HTTP server. */
export const SIGNALLING_PATH = '/calls/signal';
/** Close code for a missing, invalid or expired call token (graphql-ws clients treat 4401 as fatal). */
export const CLOSE_UNAUTHORIZED = 4401;
