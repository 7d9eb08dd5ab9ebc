// The SMTP thread (a worker of `SmtpTransports`): the projects' nodemailer pools live here, so the
// SMTP protocol, the dot-stuffing of each message and the socket writes (about half of a send's
// CPU) run beside the dispatcher's rendering and PostgreSQL work instead of after it. Plain ESM
// JavaScript, so the same file runs from the sources (specs) and from dist/ (copied as it is).
import { parentPort } from 'node:worker_threads';
import nodemailer from 'nodemailer';
import { installFastDotStuffing } from './smtp-dot-stuffing.mjs';

// Messages built here need no dot-stuffing (CRLF lines, a line's leading dot written `=2E`): they go to the socket as they are.
installFastDotStuffing();

/** projectId → { revision, transport } (rebuilt when the project's settings change). */
const pools = new Map();

/** Addresses nodemailer would write as they are; anything else goes through sendMail, which encodes it (IDN, SMTPUTF8). */
const PLAIN_ADDRESS = /^[\x21-\x7e]+@[\x21-\x7e]+$/;

function transportFor({ projectId, revision, smtpUrl, maxConnections }) {
  const held = pools.get(projectId);
  if (held?.revision === revision) return held.transport;
  held?.transport.close();
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections,
    maxMessages: 1_000,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  pools.set(projectId, { revision, transport });
  return transport;
}

/**
 * A message built whole goes to the pool's own send(mail) as one Buffer (SMTPConnection writes a
 * Buffer as it is, dot-stuffed): sendMail({ raw }) would compose it again (a MimeNode, a
 * Message-ID, address parsing) and stream it through three stream stages.
 */
function sendRaw(transport, { from, to, messageId, raw }) {
  const message = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (!PLAIN_ADDRESS.test(from) || !PLAIN_ADDRESS.test(to)) return transport.sendMail({ envelope: { from, to }, raw: message });
  const mail = {
    data: {},
    message: {
      getEnvelope: () => ({ from, to: [to] }),
      messageId: () => messageId,
      getHeader: (name) => (name.toLowerCase() === 'message-id' ? messageId : undefined),
      createReadStream: () => message,
    },
  };
  return new Promise((resolve, reject) => transport.transporter.send(mail, (error, info) => (error ? reject(error) : resolve(info))));
}

/** What the dispatcher reads of an SMTP error (smtp-outcome.ts), as plain data. */
const errorFields = (error) => ({
  message: String(error?.message ?? error),
  code: error?.code,
  responseCode: error?.responseCode,
  response: error?.response,
  command: error?.command,
  rejected: Array.isArray(error?.rejected) ? error.rejected.map(String) : undefined,
});

/** Results of this tick, posted together: one postMessage per tick, not per send. */
let results = [];

function answer(result) {
  if (results.length === 0) setImmediate(() => {
    const answered = results;
    results = [];
    parentPort.postMessage({ type: 'results', results: answered });
  });
  results.push(result);
}

function send(request) {
  let sending;
  try {
    const transport = transportFor(request.pool);
    sending = request.type === 'raw' ? sendRaw(transport, request.message) : transport.sendMail(request.mail);
  } catch (error) {
    sending = Promise.reject(error);
  }
  sending.then(
    (info) => answer({ id: request.id, response: info?.response }),
    (error) => answer({ id: request.id, error: errorFields(error) }),
  );
}

parentPort.on('message', (message) => {
  if (message.type === 'close') {
    for (const { transport } of pools.values()) transport.close();
    pools.clear();
    parentPort.postMessage({ type: 'closed' });
    return;
  }
  // The sends handed over in one tick of the dispatcher.
  for (const request of message.requests) send(request);
});
