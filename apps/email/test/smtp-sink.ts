import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  raw: string;
  parsed: ParsedMail;
}

/**
 * A real SMTP server for tests (smtp-server): keeps every message it accepted, parsed with
 * mailparser. `refuse(address, reply)` answers RCPT TO for that address with `reply` (e.g.
 * `{ code: 451, times: 1 }`); `stop()` and `start()` (same port) make an outage. `replyDelayMs`:
 * a message counts as received once its data has arrived, and the 250 reply comes this much later
 * (a window in which the sender may die without knowing).
 */
export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  replyDelayMs = 0;
  private server?: SMTPServer;
  private readonly refusals = new Map<string, { code: number; times: number }>();
  port = 0;

  async start(port = this.port): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      closeTimeout: 200,
      size: 10 * 1024 * 1024,
      onRcptTo: (address, _session, callback) => {
        const refusal = this.refusals.get(address.address.toLowerCase());
        if (refusal && refusal.times > 0) {
          refusal.times--;
          const error = new Error(refusal.code >= 500 ? '5.1.1 no such user' : '4.2.0 try again later') as Error & { responseCode: number };
          error.responseCode = refusal.code;
          return callback(error);
        }
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          simpleParser(raw)
            .then((parsed) => {
              this.received.push({
                envelope: { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((rcpt) => rcpt.address) },
                raw,
                parsed,
              });
              if (this.replyDelayMs > 0) setTimeout(() => callback(), this.replyDelayMs);
              else callback();
            })
            .catch(callback);
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  refuse(address: string, code: number, times = Number.POSITIVE_INFINITY): void {
    this.refusals.set(address.toLowerCase(), { code, times });
  }

  to(address: string): ReceivedMail[] {
    return this.received.filter((mail) => mail.envelope.to.includes(address));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
