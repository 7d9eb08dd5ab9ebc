// The SMTP sink the email benchmarks send to: a smtp-server in a child process (so the process under
// test does not pay for receiving) that counts messages and keeps their envelope and raw text.
import { fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createWriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { SMTPServer } from 'smtp-server';

type SinkCommand = { type: 'count' } | { type: 'reset' } | { type: 'dump'; path: string };

/** The sink's side: run it in the child (the benchmark's own script started with the argument `sink`). */
export function runSmtpSink(): void {
  let count = 0;
  const kept: { from: string; to: string[]; raw: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        count++;
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        kept.push({ from, to: session.envelope.rcptTo.map((rcpt) => rcpt.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.server.address() as AddressInfo).port }));
  process.on('message', (command: SinkCommand) => {
    if (command.type === 'count') process.send!({ count });
    else if (command.type === 'reset') {
      count = 0;
      kept.length = 0;
      process.send!({ reset: true });
    } else {
      const out = createWriteStream(command.path);
      for (const message of kept) out.write(`${JSON.stringify(message)}\n`);
      out.end(() => process.send!({ dumped: kept.length }));
    }
  });
  process.on('disconnect', () => server.close(() => process.exit(0)));
}

export interface SmtpSink {
  readonly port: number;
  /** The sink's process (its CPU time is the benchmark's to report). */
  readonly pid: number;
  count(): Promise<number>;
  /** Forgets what it received. */
  reset(): Promise<void>;
  /** Writes what it kept as JSON lines ({ from, to, raw }) to `path`. */
  dump(path: string): Promise<number>;
  untilReceived(n: number): Promise<void>;
  stop(): void;
}

/** Starts the sink in a child process running `script` (the benchmark's own file) with the argument `sink`. */
export async function startSmtpSink(script: string): Promise<SmtpSink> {
  const child = fork(script, ['sink'], { stdio: 'inherit' });
  const ask = <T>(command: SinkCommand, key: string) =>
    new Promise<T>((resolve) => {
      const onMessage = (message: Record<string, unknown>) => {
        if (key in message) {
          child.off('message', onMessage);
          resolve(message[key] as T);
        }
      };
      child.on('message', onMessage);
      child.send(command);
    });
  const port = await new Promise<number>((resolve) => child.once('message', (message: { port: number }) => resolve(message.port)));
  const count = () => ask<number>({ type: 'count' }, 'count');
  return {
    port,
    pid: child.pid!,
    count,
    reset: () => ask<void>({ type: 'reset' }, 'reset'),
    dump: (path) => ask<number>({ type: 'dump', path }, 'dumped'),
    async untilReceived(n) {
      while ((await count()) < n) await sleep(20);
    },
    stop: () => child.disconnect(),
  };
}
