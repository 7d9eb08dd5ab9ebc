// `npm start`'s mail catcher: an SMTP server (smtp-server) that keeps what it receives in memory
// and a small web inbox to read it, for a platform whose email has no real SMTP server configured.
import { createServer } from 'node:http';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** Messages kept (the oldest go first). */
const KEPT = 500;

const escape = (text) => String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/**
 * Starts the catcher on `smtpPort` and `webPort` (127.0.0.1; a port in use falls back to one the
 * OS picks). Resolves to its SMTP URL, inbox URL and `stop()`.
 */
export async function startMailCatcher({ smtpPort = 1025, webPort = 1080 } = {}) {
  const messages = [];
  let nextId = 1;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onAuth: (_auth, _session, callback) => callback(null, { user: 'catcher' }),
    logger: false,
    size: 25 * 1024 * 1024,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          messages.unshift({ id: nextId++, receivedAt: new Date(), envelope: session.envelope, parsed });
          messages.length = Math.min(messages.length, KEPT);
          callback();
        })
        .catch(callback);
    },
  });
  const web = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://catcher');
    const found = /^\/messages\/(\d+)(\/html)?$/.exec(url.pathname);
    const message = found && messages.find((m) => m.id === Number(found[1]));
    if (url.pathname === '/') return page(response, inbox(messages));
    if (url.pathname === '/messages.json') {
      response.writeHead(200, { 'content-type': 'application/json' });
      return response.end(JSON.stringify(messages.map(summary)));
    }
    if (message && found[2]) {
      // The message's own HTML, shown in a sandboxed frame: no scripts, no access to the inbox.
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': 'sandbox; img-src * data:; style-src * \'unsafe-inline\'' });
      return response.end(message.parsed.html || `<pre>${escape(message.parsed.text)}</pre>`);
    }
    if (message) return page(response, detail(message));
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found');
  });
  const smtpListening = await listen(smtp.server, smtpPort, smtp);
  // A broken client connection is that client's problem, not the catcher's.
  smtp.on('error', () => undefined);
  const webListening = await listen(web, webPort);
  return {
    smtpUrl: `smtp://127.0.0.1:${smtpListening}`,
    webUrl: `http://127.0.0.1:${webListening}/`,
    messages,
    stop: () => Promise.all([new Promise((done) => smtp.close(done)), new Promise((done) => web.close(done))]),
  };
}

/** `errors`: where the server's errors surface (smtp-server re-emits its socket server's on itself). */
function listen(server, port, errors = server) {
  return new Promise((resolve, reject) => {
    const onError = (error) => {
      if (error.code !== 'EADDRINUSE' || port === 0) return reject(error);
      server.close();
      server.listen(0, '127.0.0.1');
    };
    errors.on('error', onError);
    server.once('listening', () => {
      errors.off('error', onError);
      resolve(server.address().port);
    });
    server.listen(port, '127.0.0.1');
  });
}

const summary = ({ id, receivedAt, envelope, parsed }) => ({
  id,
  receivedAt,
  from: parsed.from?.text ?? envelope.mailFrom?.address ?? '',
  to: envelope.rcptTo.map((rcpt) => rcpt.address),
  subject: parsed.subject ?? '',
});

function page(response, body) {
  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  response.end(`<!doctype html><html><head><meta charset="utf-8"><title>Boomerang mail catcher</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4em;border-bottom:1px solid #ddd}
iframe{width:100%;height:70vh;border:1px solid #ccc}pre{white-space:pre-wrap;background:#f6f6f6;padding:1em}</style></head><body>${body}</body></html>`);
}

function inbox(messages) {
  const rows = messages
    .map(summary)
    .map((m) => `<tr><td>${escape(m.receivedAt.toISOString())}</td><td>${escape(m.to.join(', '))}</td><td>${escape(m.from)}</td><td><a href="/messages/${m.id}">${escape(m.subject || '(no subject)')}</a></td></tr>`)
    .join('');
  return `<h1>Mail catcher</h1><p>${messages.length} message(s), newest first; nothing here was delivered anywhere. <a href="/">Refresh</a></p>
<table><tr><th>Received</th><th>To</th><th>From</th><th>Subject</th></tr>${rows}</table>`;
}

function detail(message) {
  const { parsed } = message;
  const headers = [...parsed.headerLines].map((line) => escape(line.line)).join('\n');
  return `<p><a href="/">← Inbox</a></p><h2>${escape(parsed.subject)}</h2>
<iframe sandbox src="/messages/${message.id}/html"></iframe>
<h3>Text part</h3><pre>${escape(parsed.text)}</pre><h3>Headers</h3><pre>${headers}</pre>`;
}
