import { SmtpSendError, SmtpTransports } from '../src/sending/smtp-transports.js';
import type { SendingProfile } from '../src/sending/sender-settings.service.js';
import { classifySmtpError } from '../src/sending/smtp-outcome.js';
import { SmtpSink } from './smtp-sink.js';

/** The SMTP thread against a real SMTP server: bytes as built, the server's answers and refusals as nodemailer reports them. */
describe('SmtpTransports (the SMTP thread)', () => {
  let sink: SmtpSink;
  let sut: SmtpTransports;
  const profile = (): SendingProfile & { smtpUrl: string } => ({
    smtpUrl: sink.url,
    revision: 'r1',
    fromAddress: 'news@brand.example',
    fromName: null,
    replyTo: null,
    maxConnections: 2,
    consentRequired: false,
  });
  const raw = (to: string, body: string) =>
    Buffer.from(`From: news@brand.example\r\nTo: ${to}\r\nSubject: hi\r\nMessage-ID: <m-${to}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`);

  beforeAll(async () => {
    sink = await new SmtpSink().start(0);
  });
  beforeEach(() => {
    sut = new SmtpTransports();
  });
  afterEach(async () => {
    await sut.onApplicationShutdown();
  });
  afterAll(async () => {
    await sink.stop();
  });

  it('sends a built message as its bytes (dot-stuffed on the wire, whole at the server) with the envelope given', async () => {
    const body = 'line one\r\n.\r\n.. two dots\r\nlast';
    const answers = await Promise.all(
      ['ann@a.example', 'bob@b.example', 'cy@c.example'].map((to) => sut.sendRaw('p1', profile(), { from: 'b+1@bounces.example', to, messageId: `<m-${to}>`, raw: raw(to, body) })),
    );
    for (const answer of answers) expect(answer.response).toMatch(/^250 /);
    const mail = sink.to('bob@b.example');
    expect(mail).toHaveLength(1);
    expect(mail[0]!.envelope).toEqual({ from: 'b+1@bounces.example', to: ['bob@b.example'] });
    expect(mail[0]!.raw).toBe(raw('bob@b.example', body).toString('utf8'));
  });

  it('hands back a refusal with the fields the outcome reads: 550 at RCPT is a hard bounce, 451 a retry', async () => {
    sink.refuse('gone@a.example', 550);
    sink.refuse('later@a.example', 451, 1);
    const refused = await sut.sendRaw('p1', profile(), { from: 'b+2@bounces.example', to: 'gone@a.example', messageId: '<m-gone>', raw: raw('gone@a.example', 'x') }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SmtpSendError);
    expect(refused).toMatchObject({ responseCode: 550 });
    expect(classifySmtpError(refused)).toMatchObject({ kind: 'reject', hardBounce: true });
    const deferred = await sut.sendRaw('p1', profile(), { from: 'b+3@bounces.example', to: 'later@a.example', messageId: '<m-later>', raw: raw('later@a.example', 'x') }).catch((error: unknown) => error);
    expect(classifySmtpError(deferred)).toMatchObject({ kind: 'retry' });
    // The pool goes on after refusals.
    expect((await sut.sendRaw('p1', profile(), { from: 'b+4@bounces.example', to: 'later@a.example', messageId: '<m-later2>', raw: raw('later@a.example', 'y') })).response).toMatch(/^250 /);
  });

  it('composes test sends (sendMail options) through the same pools, and a server away is a retry', async () => {
    const answer = await sut.sendMail('p2', profile(), { from: 'news@brand.example', to: 'dee@d.example', subject: 'Test', text: 'hello', headers: { 'X-Boomerang-Test': 'true' } });
    expect(answer.response).toMatch(/^250 /);
    expect(sink.to('dee@d.example')[0]!.parsed.headers.get('x-boomerang-test')).toBe('true');
    const away = await sut.sendRaw('p3', { ...profile(), smtpUrl: 'smtp://127.0.0.1:1' }, { from: 'b+5@bounces.example', to: 'ed@e.example', messageId: '<m-ed>', raw: raw('ed@e.example', 'x') }).catch((error: unknown) => error);
    expect(away).toBeInstanceOf(SmtpSendError);
    expect(classifySmtpError(away)).toMatchObject({ kind: 'retry' });
  });
});
