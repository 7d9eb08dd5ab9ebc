import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EmailSendRequested, ProfileChanged, type MessageContract, type MessageOf } from '@boomerang/contracts';
import { domainStreamConfig } from '@boomerang/platform/messaging';
import { eventually, secretKeyCaller, startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';
import { InboundMailListener } from '../src/tracking/inbound-mail.listener.js';
import { PostfixInstance } from './postfix-instance.js';
import { profileSnapshot } from './profile-snapshot.js';

/** `eventually` for checks that answer undefined until they hold. */
const until = async <T>(check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => (await eventually(check, { timeoutMs, intervalMs: 100 })) as T;

interface SendRow {
  id: string;
  status: string;
  reason: string | null;
  bounce_type: string | null;
}

/**
 * A real MTA bounces our mail: Debian's Postfix (installed when missing), a private instance on its
 * own ports and domain (see PostfixInstance), whose DSNs for the VERP return path reach email's
 * inbound listener through the instance's transport map.
 */
describe('email subgraph: bounces from a real Postfix', () => {
  let sut: TestSubgraph;
  let db: DataSource;
  let postfix: PostfixInstance;
  const run = randomUUID().slice(0, 8);
  const bounceDomain = `bounces-${run}.test`;
  const mailDomain = `mta-${run}.test`;

  beforeAll(async () => {
    await PostfixInstance.install();
    // The machine's own Postfix (port 25, /etc/postfix) is not this test's: left running and unchanged.
    if (await PostfixInstance.systemInstanceRunning()) console.info('a Postfix this test did not start is running; the test uses its own instance beside it');
    Object.assign(process.env, { EMAIL_SEND_POLL_MS: '50', EMAIL_BOUNCE_PORT: '0', EMAIL_BOUNCE_DOMAIN: bounceDomain, EMAIL_MESSAGE_ID_DOMAIN: mailDomain });
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'email' });
    db = sut.app.get(DataSource);
    await sut.messaging.jsm.streams.add(domainStreamConfig(sut.messaging.subjects, 'profiles'));
    postfix = new PostfixInstance(mailDomain, { domain: bounceDomain, port: sut.app.get(InboundMailListener).port! });
    await postfix.start();
  }, 300_000);
  afterAll(async () => {
    await postfix?.stop();
    await sut?.close();
  });

  const publish = <C extends MessageContract>(contract: C, projectId: string, body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>) =>
    sut.messaging.js.publish(sut.messaging.subjects.subject(contract, projectId), JSON.stringify({ projectId, occurredAt: new Date().toISOString(), ...body }), { msgID: randomUUID() });

  /** A project sending through the given Postfix port, a template, and a profile at `address`; returns the send's row once it settles. */
  const sendThrough = async (port: number, address: string, settledStatuses: string[]): Promise<{ projectId: string; send: SendRow }> => {
    const projectId = randomUUID();
    const caller = secretKeyCaller(projectId);
    const set = await sut.query(`mutation($input: SenderSettingsInput!) { setEmailSenderSettings(input: $input) { smtpConfigured } }`, { input: { smtpUrl: `smtp://127.0.0.1:${port}`, fromAddress: `news@${mailDomain}` } }, caller);
    expect(set.errors).toBeUndefined();
    const created = await sut.query<{ createEmailTemplate: { id: string } }>(
      `mutation($input: CreateEmailTemplateInput!) { createEmailTemplate(input: $input) { id } }`,
      { input: { name: 'Hello', subject: 'Hello {{ profile.name }}', htmlBody: '<p>Hello {{ profile.name }}</p>' } },
      caller,
    );
    expect(created.errors).toBeUndefined();
    const profileId = randomUUID();
    await publish(ProfileChanged, projectId, profileSnapshot(profileId, address, true));
    await eventually(async () => (await db.query(`SELECT 1 FROM email_profile WHERE project_id = $1`, [projectId])).length === 1);
    await publish(EmailSendRequested, projectId, { templateId: created.data!.createEmailTemplate.id, templateVersion: 1, profileId, campaignId: null, journeyId: null, idempotencyKey: randomUUID() });
    const send = await until(async () => {
      const [row] = (await db.query(`SELECT id, status, reason, bounce_type FROM email_send WHERE project_id = $1`, [projectId])) as SendRow[];
      return row && settledStatuses.includes(row.status) ? row : undefined;
    });
    return { projectId, send };
  };

  const suppression = async (projectId: string, address: string) =>
    ((await db.query(`SELECT reason FROM email_suppression WHERE project_id = $1 AND address = $2`, [projectId, address])) as { reason: string }[])[0]?.reason;

  const engagements = async (projectId: string) => {
    await sut.flushOutbox();
    const stream = sut.messaging.subjects.streamName('email');
    const subject = `${sut.prefix}email.${projectId}.engagement`;
    const info = await sut.messaging.jsm.streams.info(stream, { subjects_filter: subject });
    const found: { event: string; properties: Record<string, unknown> }[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const message = await sut.messaging.jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (message?.subject === subject) found.push(message.json());
    }
    return found;
  };

  it('asynchronous DSN: Postfix accepts mail for an unknown local user, then bounces it to the return path: the address is suppressed and Email Bounced published', async () => {
    const address = `nosuchuser-${run}@${mailDomain}`;
    const { projectId, send } = await sendThrough(postfix.acceptPort, address, ['sent', 'failed', 'deferred']);
    expect(send.status).toBe('sent');
    const bounced = await until(async () => {
      const [row] = (await db.query(`SELECT id, status, reason, bounce_type FROM email_send WHERE id = $1`, [send.id])) as SendRow[];
      return row?.bounce_type ? row : undefined;
    }).catch(async (error: Error) => {
      throw new Error(`${error.message}\nPostfix log:\n${await postfix.log()}`);
    });
    expect(bounced).toMatchObject({ status: 'sent', bounce_type: 'hard' });
    expect(await suppression(projectId, address)).toBe('hard_bounce');
    const events = await until(async () => {
      const found = await engagements(projectId);
      return found.some((event) => event.event === 'Email Bounced') ? found : undefined;
    });
    expect(events.find((event) => event.event === 'Email Bounced')!.properties).toMatchObject({ sendId: send.id, bounceType: 'hard', status: '5.1.1' });
  });

  it('synchronous 550: Postfix refuses the unknown user at RCPT: the send fails without retry and the address is suppressed', async () => {
    const address = `nobody-${run}@${mailDomain}`;
    const { projectId, send } = await sendThrough(postfix.rejectPort, address, ['sent', 'failed']);
    expect(send.status).toBe('failed');
    expect(send.reason).toMatch(/^SMTP_REJECTED: .*550 5\.1\.1/);
    expect(await suppression(projectId, address)).toBe('hard_bounce');
    const events = await until(async () => {
      const found = await engagements(projectId);
      return found.some((event) => event.event === 'Email Bounced') ? found : undefined;
    });
    expect(events.find((event) => event.event === 'Email Bounced')!.properties).toMatchObject({ sendId: send.id, bounceType: 'hard' });
  });
});
