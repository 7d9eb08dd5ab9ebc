import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { DataSource, type EntityManager } from 'typeorm';
import { EmailEngagement, EmailSendRequested, ProfileChanged, ProfileDeleted, ProfileMerged, validateMessage, type MessageContract, type MessageOf } from '@boomerang/contracts';
import { domainStreamConfig } from '@boomerang/platform/messaging';
import { eventually, secretKeyCaller, startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';
import { profileSnapshot } from './profile-snapshot.js';
import { SEND_STATE } from './send-state.js';
import { SmtpSink } from './smtp-sink.js';
import nodemailer from 'nodemailer';
import { InboundMailListener } from '../src/tracking/inbound-mail.listener.js';
import { SendDispatcher } from '../src/sending/send-dispatcher.js';
import { Suppressions } from '../src/suppressions/suppressions.js';

const MJML_BODY = `<mjml><mj-body><mj-section><mj-column>
<mj-text>Hello {{ profile.first_name | default: "there" }}, your {{ event.item }} is waiting.</mj-text>
<mj-button href="https://shop.example/cart?p={{ profile.id }}">Back to the cart</mj-button></mj-column></mj-section></mj-body></mjml>`;
const PROMOTION = { logoUrl: 'https://brand.example/logo.png', offer: { description: '10% off', discountCode: 'CART10' } };

/** `eventually` for checks that answer undefined until they hold. */
const until = async <T>(check: () => Promise<T | undefined>): Promise<T> => (await eventually(check)) as T;

interface SendRow {
  status: string;
  reason: string | null;
  attempts: number;
  to_address: string | null;
}

describe('email subgraph: sending', () => {
  let sut: TestSubgraph;
  let db: DataSource;
  const sink = new SmtpSink();

  beforeAll(async () => {
    await sink.start();
    Object.assign(process.env, { EMAIL_SEND_POLL_MS: '50', EMAIL_RETRY_BASE_MS: '100', EMAIL_RETRY_MAX_MS: '400', EMAIL_SEND_MAX_ATTEMPTS: '50', EMAIL_MESSAGE_ID_DOMAIN: 'mail.test', EMAIL_BOUNCE_PORT: '0' });
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'email' });
    db = sut.app.get(DataSource);
    await sut.messaging.jsm.streams.add(domainStreamConfig(sut.messaging.subjects, 'profiles'));
  });
  afterAll(async () => {
    await sut?.close();
    await sink.stop();
  });

  const publish = <C extends MessageContract>(contract: C, projectId: string, body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>, msgID = randomUUID()) =>
    sut.messaging.js.publish(sut.messaging.subjects.subject(contract, projectId), JSON.stringify({ projectId, occurredAt: new Date().toISOString(), ...body }), { msgID });

  const profile = profileSnapshot;

  /** A project with sender settings pointing at the sink and one MJML template; returns its ids. */
  const setUpProject = async (settings: Record<string, unknown> = {}) => {
    const projectId = randomUUID();
    const caller = secretKeyCaller(projectId);
    const set = await sut.query<{ setEmailSenderSettings: Record<string, unknown> }>(
      `mutation($input: SenderSettingsInput!) { setEmailSenderSettings(input: $input) { smtpConfigured smtpHost fromAddress fromName consentRequired maxConnections } }`,
      { input: { smtpUrl: sink.url, fromAddress: 'news@brand.example', fromName: 'Brand', ...settings } },
      caller,
    );
    expect(set.errors).toBeUndefined();
    const created = await sut.query<{ createEmailTemplate: { id: string; version: number } }>(
      `mutation($input: CreateEmailTemplateInput!) { createEmailTemplate(input: $input) { id version } }`,
      { input: { name: 'Cart', format: 'MJML', subject: '{{ profile.first_name | default: "Hi" }}, your cart', preheader: 'Still there: {{ event.item }}', htmlBody: MJML_BODY, promotion: PROMOTION } },
      caller,
    );
    expect(created.errors).toBeUndefined();
    return { projectId, templateId: created.data!.createEmailTemplate.id, settings: set.data!.setEmailSenderSettings };
  };

  const requestSend = (projectId: string, templateId: string, profileId: string, idempotencyKey = randomUUID()) =>
    publish(EmailSendRequested, projectId, { templateId, templateVersion: 1, profileId, campaignId: null, journeyId: null, idempotencyKey, event: { item: 'red shoes' } });

  // A send being sent has a claim on its queue row (email_send says queued or deferred until its result).
  const sendsOf = (projectId: string, profileId: string) =>
    db.query(
      `SELECT ${SEND_STATE} FROM email_send s LEFT JOIN email_send_queue q ON q.send_id = s.id WHERE s.project_id = $1 AND s.profile_id = $2`,
      [projectId, profileId],
    ) as Promise<SendRow[]>;
  const settled = (projectId: string, profileId: string) =>
    until(async () => {
      const rows = await sendsOf(projectId, profileId);
      return rows.length > 0 && rows.every((row) => ['sent', 'failed', 'skipped'].includes(row.status)) ? rows : undefined;
    });

  const engagements = async (projectId: string) => {
    await sut.flushOutbox();
    const stream = sut.messaging.subjects.streamName('email');
    const subject = `${sut.prefix}email.${projectId}.engagement`;
    const info = await sut.messaging.jsm.streams.info(stream, { subjects_filter: subject });
    const count = (info.state.subjects as Record<string, number> | undefined)?.[subject] ?? 0;
    const found: { event: string; messageId: string; profileId: string; properties: Record<string, unknown>; also?: unknown[] }[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && found.length < count; seq++) {
      const message = await sut.messaging.jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (message?.subject === subject) found.push(message.json());
    }
    // PostgreSQL builds these bodies (the dispatcher's record): each must be what the contract says.
    for (const body of found) expect(() => validateMessage(EmailEngagement, subject, body)).not.toThrow();
    return found;
  };

  it('sends a personalized MJML email once per idempotency key, with both parts, headers and the Gmail JSON-LD', async () => {
    const { projectId, templateId, settings } = await setUpProject();
    expect(settings).toEqual({ smtpConfigured: true, smtpHost: '127.0.0.1', fromAddress: 'news@brand.example', fromName: 'Brand', consentRequired: false, maxConnections: 5 });
    const profileId = randomUUID();
    const address = `ann-${profileId.slice(0, 8)}@example.com`;
    await publish(ProfileChanged, projectId, profile(profileId, address, true, { first_name: 'Ann <3' }));
    await eventually(async () => (await db.query(`SELECT 1 FROM email_profile WHERE profile_id = $1`, [profileId])).length > 0);

    const key = randomUUID();
    await requestSend(projectId, templateId, profileId, key);
    await requestSend(projectId, templateId, profileId, key);
    const [row] = await settled(projectId, profileId);
    expect(row).toMatchObject({ status: 'sent', attempts: 1, to_address: address });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const mails = sink.to(address);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!.parsed;
    expect(mail.subject).toBe('Ann <3, your cart');
    expect(mail.from?.value).toEqual([{ address: 'news@brand.example', name: 'Brand' }]);
    expect(mail.messageId).toMatch(/@mail\.test>$/);
    expect(mail.headers.get('x-boomerang-send-id')).toBeDefined();
    expect(mail.html).toContain('Hello Ann &lt;3, your red shoes is waiting.');
    expect(mail.html).not.toContain('https://shop.example/cart');
    expect(await db.query(`SELECT links FROM email_send WHERE project_id = $1`, [projectId])).toEqual([{ links: [`https://shop.example/cart?p=${profileId}`] }]);
    expect(mail.html).toMatch(/<div style="display:none[^"]*">Still there: red shoes<\/div>/);
    expect(mail.text).toContain('Hello Ann <3, your red shoes is waiting.');
    const jsonLd = JSON.parse(/<script type="application\/ld\+json">(.*?)<\/script>/.exec(mail.html as string)![1]!);
    expect(jsonLd).toEqual([
      { '@context': 'http://schema.org/', '@type': 'Organization', logo: 'https://brand.example/logo.png' },
      { '@context': 'http://schema.org/', '@type': 'DiscountOffer', description: '10% off', discountCode: 'CART10' },
    ]);

    const reports = await until(async () => {
      const found = await engagements(projectId);
      return found.length >= 1 ? found : undefined;
    });
    // Both facts of the send in one report: Email Sent, and Email Delivered (the server's answer) in `also`.
    const [{ id: sendId, created_at: createdAt }] = (await db.query(`SELECT id, created_at FROM email_send WHERE project_id = $1`, [projectId])) as [{ id: string; created_at: Date }];
    // A version 7 id whose first 48 bits are the milliseconds it was queued at.
    expect(sendId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Math.abs(parseInt(sendId.replace(/-/g, '').slice(0, 12), 16) - createdAt.getTime())).toBeLessThan(5_000);
    expect(reports).toEqual([
      expect.objectContaining({
        event: 'Email Sent',
        messageId: `email:${sendId}:Email Sent`,
        profileId,
        properties: { sendId, templateId, templateVersion: 1, campaignId: null, journeyId: null },
        also: [
          {
            event: 'Email Delivered',
            messageId: `email:${sendId}:Email Delivered`,
            properties: { sendId, templateId, templateVersion: 1, campaignId: null, journeyId: null, smtpResponse: expect.stringMatching(/^250 /) },
          },
        ],
      }),
    ]);
  });

  it('never sends to a profile without an email, unsubscribed, not consenting, suppressed or unknown, and records why', async () => {
    const { projectId, templateId } = await setUpProject({ consentRequired: true });
    const cases: [string, (profileId: string) => Promise<unknown>, string][] = [
      ['NO_PROFILE', async () => undefined, ''],
      ['NO_EMAIL', (id) => publish(ProfileChanged, projectId, profile(id, null, true)), ''],
      ['UNSUBSCRIBED', (id) => publish(ProfileChanged, projectId, profile(id, `u-${id}@example.com`, false)), `u-`],
      ['NO_CONSENT', (id) => publish(ProfileChanged, projectId, profile(id, `c-${id}@example.com`, null)), `c-`],
      // The list holds normalized addresses; the profile's may differ in case and blanks, ASCII or not.
      ['SUPPRESSED', (id) => suppressed(id, `s-${id}@example.com`, `S-${id}@Example.com`), 's-'],
      ['SUPPRESSED', (id) => suppressed(id, `b-${id}@example.com`, ` \tB-${id}@EXAMPLE.com\r\n`), 'b-'],
      ['SUPPRESSED', (id) => suppressed(id, `jörg-${id}@exämple.com`, `JöRG-${id}@EXäMPLE.com\u00a0`), 'jörg-'],
    ];
    const suppressed = async (id: string, listed: string, address: string) => {
      await db.query(`INSERT INTO email_suppression (project_id, address, reason) VALUES ($1, $2, 'manual')`, [projectId, listed]);
      await publish(ProfileChanged, projectId, profile(id, address, true));
    };
    for (const [reason, arrange] of cases) {
      const profileId = randomUUID();
      await arrange(profileId);
      if (reason !== 'NO_PROFILE') await eventually(async () => (await db.query(`SELECT 1 FROM email_profile WHERE profile_id = $1`, [profileId])).length > 0);
      await requestSend(projectId, templateId, profileId);
      const [row] = await settled(projectId, profileId);
      expect(row).toMatchObject({ status: 'skipped', reason });
      expect(sink.received.filter((mail) => mail.envelope.to.some((to) => to.toLowerCase().includes(profileId)))).toEqual([]);
    }
    const events = await until(async () => {
      const found = await engagements(projectId);
      return found.length >= cases.length ? found : undefined;
    });
    expect(events.map((event) => event.properties.reason).sort()).toEqual(cases.map(([reason]) => reason).sort());
    expect(events.every((event) => event.event === 'Email Skipped')).toBe(true);
  });

  it('claims a round with its recipients in one statement and records its results with their events, and a hard bounce suppression, in another', async () => {
    const { projectId, templateId } = await setUpProject();
    const dispatcher = sut.app.get(SendDispatcher) as unknown as { dataSource: DataSource; keyed: { query(...args: unknown[]): Promise<unknown> } };
    // The transactions the dispatcher opens (its helpers keep their own DataSource), and the statements on its own connections.
    let transactions = 0;
    dispatcher.dataSource = new Proxy(db, {
      get: (target, key, receiver) =>
        key === 'transaction' ? (work: (manager: EntityManager) => Promise<unknown>) => (transactions++, target.transaction(work)) : Reflect.get(target, key, receiver),
    });
    const statements = jest.spyOn(dispatcher.keyed, 'query');
    const suppressedAmong = jest.spyOn(sut.app.get(Suppressions), 'suppressedAmong');
    try {
      const ids = Array.from({ length: 5 }, () => randomUUID());
      for (const id of ids) await publish(ProfileChanged, projectId, profile(id, `round-${id}@Example.com`, true));
      await eventually(async () => (await db.query(`SELECT 1 FROM email_profile WHERE project_id = $1`, [projectId])).length === ids.length);
      for (const id of ids) await requestSend(projectId, templateId, id);
      for (const id of ids) expect((await settled(projectId, id))[0]).toMatchObject({ status: 'sent' });
      // Every address was ASCII: checked against the suppression list by the claim itself.
      expect(suppressedAmong).not.toHaveBeenCalled();
      const recordings = () => statements.mock.calls.filter(([query]) => (query as { name: string }).name === 'email-send-record').length;
      expect(recordings()).toBeGreaterThan(0);

      const gone = randomUUID();
      sink.refuse(`gone-${gone}@example.com`, 550);
      await publish(ProfileChanged, projectId, profile(gone, `gone-${gone}@example.com`, true));
      await eventually(async () => (await db.query(`SELECT 1 FROM email_profile WHERE profile_id = $1`, [gone])).length > 0);
      const before = recordings();
      await requestSend(projectId, templateId, gone);
      expect((await settled(projectId, gone))[0]).toMatchObject({ status: 'failed' });
      expect(recordings()).toBe(before + 1);
      expect(transactions).toBe(0);
      expect(await db.query(`SELECT reason, detail FROM email_suppression WHERE project_id = $1`, [projectId])).toEqual([{ reason: 'hard_bounce', detail: expect.stringMatching(/^SMTP_REJECTED: .*550/) }]);
      const events = await until(async () => {
        const found = await engagements(projectId);
        return found.length === ids.length + 1 ? found : undefined;
      });
      expect(events.map((event) => event.event).sort()).toEqual(['Email Bounced', ...ids.map(() => 'Email Sent')]);
    } finally {
      dispatcher.dataSource = db;
      statements.mockRestore();
      suppressedAmong.mockRestore();
    }
  });

  it('retries a 4xx with backoff, and does not retry a 5xx: the address is suppressed as a hard bounce', async () => {
    const { projectId, templateId } = await setUpProject();
    const later = randomUUID();
    const laterAddress = `later-${later}@example.com`;
    const gone = randomUUID();
    const goneAddress = `gone-${gone}@example.com`;
    sink.refuse(laterAddress, 451, 2);
    sink.refuse(goneAddress, 550);
    await publish(ProfileChanged, projectId, profile(later, laterAddress, true));
    await publish(ProfileChanged, projectId, profile(gone, goneAddress, true));
    await eventually(async () => (await db.query(`SELECT 1 FROM email_profile WHERE project_id = $1`, [projectId])).length === 2);
    await requestSend(projectId, templateId, later);
    await requestSend(projectId, templateId, gone);

    expect((await settled(projectId, later))[0]).toMatchObject({ status: 'sent', attempts: 3 });
    expect(sink.to(laterAddress)).toHaveLength(1);
    const [bounced] = await settled(projectId, gone);
    expect(bounced).toMatchObject({ status: 'failed', attempts: 1 });
    expect(bounced!.reason).toMatch(/^SMTP_REJECTED: .*550/);
    expect(await db.query(`SELECT reason FROM email_suppression WHERE project_id = $1 AND address = $2`, [projectId, goneAddress])).toEqual([{ reason: 'hard_bounce' }]);
    const events = await until(async () => {
      const found = await engagements(projectId);
      return found.some((event) => event.event === 'Email Bounced') ? found : undefined;
    });
    expect(events.find((event) => event.event === 'Email Bounced')).toMatchObject({ profileId: gone, properties: { bounceType: 'hard' } });
  });

  it('survives an SMTP outage: sends wait, deferred, and go out once when the server is back', async () => {
    const { projectId, templateId } = await setUpProject();
    const ids = Array.from({ length: 5 }, () => randomUUID());
    for (const id of ids) await publish(ProfileChanged, projectId, profile(id, `outage-${id}@example.com`, true));
    await eventually(async () => (await db.query(`SELECT 1 FROM email_profile WHERE project_id = $1`, [projectId])).length === ids.length);
    await sink.stop();
    try {
      for (const id of ids) await requestSend(projectId, templateId, id);
      await eventually(async () => {
        const rows = (await db.query(`SELECT ${SEND_STATE} FROM email_send s LEFT JOIN email_send_queue q ON q.send_id = s.id WHERE s.project_id = $1`, [projectId])) as SendRow[];
        return rows.length === ids.length && rows.every((row) => row.status === 'deferred' || (row.status === 'sending' && row.attempts > 1));
      });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      await sink.start();
    }
    for (const id of ids) expect((await settled(projectId, id))[0]).toMatchObject({ status: 'sent' });
    for (const id of ids) expect(sink.to(`outage-${id}@example.com`)).toHaveLength(1);
  });

  it('sends a test email now, personalized for a profile or with only the address, unrecorded', async () => {
    const { projectId, templateId } = await setUpProject();
    const caller = secretKeyCaller(projectId);
    const profileId = randomUUID();
    await publish(ProfileChanged, projectId, profile(profileId, `t-${profileId}@example.com`, false, { first_name: 'Tess' }));
    await eventually(async () => (await db.query(`SELECT 1 FROM email_profile WHERE profile_id = $1`, [profileId])).length > 0);
    const mutation = `mutation($t: ID!, $to: String!, $p: ID, $e: JSON) { sendTestEmail(templateId: $t, to: $to, profileId: $p, event: $e) { messageId smtpResponse } }`;
    const to = `author-${projectId}@brand.example`;

    const forProfile = await sut.query<{ sendTestEmail: { messageId: string; smtpResponse: string } }>(mutation, { t: templateId, to, p: profileId, e: { item: 'hat' } }, caller);
    expect(forProfile.errors).toBeUndefined();
    expect(forProfile.data!.sendTestEmail.smtpResponse).toMatch(/^250/);
    const plain = await sut.query(mutation, { t: templateId, to, e: { item: 'scarf' } }, caller);
    expect(plain.errors).toBeUndefined();
    const mails = sink.to(to);
    expect(mails.map((mail) => mail.parsed.subject)).toEqual(['[Test] Tess, your cart', '[Test] Hi, your cart']);
    expect(mails[0]!.parsed.messageId).toBe(forProfile.data!.sendTestEmail.messageId);
    expect(mails[0]!.parsed.text).toContain('Hello Tess, your hat is waiting.');
    expect(mails[1]!.parsed.headers.get('x-boomerang-test')).toBe('true');
    expect(await db.query(`SELECT 1 FROM email_send WHERE project_id = $1`, [projectId])).toEqual([]);

    const missing = await sut.query(mutation, { t: templateId, to }, caller);
    expect(missing.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(missing.errors?.[0]?.message).toMatch(/event\.item|item/);
    const badTo = await sut.query(mutation, { t: templateId, to: 'not-an-address', e: {} }, caller);
    expect(badTo.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    sink.refuse(`refused-${projectId}@brand.example`, 550);
    const refused = await sut.query(mutation, { t: templateId, to: `refused-${projectId}@brand.example`, e: { item: 'x' } }, caller);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
  });

  it('tracks opens and clicks with signed tokens, redirects only to the sent URLs, and unsubscribes in one click (RFC 8058)', async () => {
    const { projectId, templateId } = await setUpProject();
    const profileId = randomUUID();
    const address = `track-${profileId}@example.com`;
    await publish(ProfileChanged, projectId, profile(profileId, address, true, { first_name: 'Tom' }));
    await eventually(async () => (await db.query(`SELECT 1 FROM email_profile WHERE profile_id = $1`, [profileId])).length > 0);
    await requestSend(projectId, templateId, profileId);
    expect((await settled(projectId, profileId))[0]).toMatchObject({ status: 'sent' });
    const mail = await until(async () => sink.to(address)[0]);
    const html = mail.parsed.html as string;
    const base = sut.url.replace(/\/graphql$/, '');
    const click = new RegExp(`href="(${base}/t/c/[A-Za-z0-9_-]+)"`).exec(html)![1]!;
    const pixel = new RegExp(`src="(${base}/t/o/[A-Za-z0-9_-]+)"`).exec(html)![1]!;
    expect(mail.envelope.from).toMatch(/^b\+[0-9a-f-]{36}@bounces\.boomerang\.local$/);
    const header = mail.parsed.headerLines.find((line) => line.key === 'list-unsubscribe')!.line.replace(/\r?\n[ \t]+/g, ' ');
    const [, httpsPart, mailtoPart] = /^List-Unsubscribe: <([^>]+)>, <mailto:([^>?]+)\?subject=unsubscribe>$/.exec(header)!;
    const listUnsubscribe = { url: httpsPart!, mail: mailtoPart! };
    expect(listUnsubscribe.url).toMatch(new RegExp(`^${base}/t/u/[A-Za-z0-9_-]+$`));
    expect(listUnsubscribe.mail).toMatch(/^u\+[A-Za-z0-9_-]{47}@bounces\.boomerang\.local$/);
    expect(mail.parsed.headerLines.find((line) => line.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');

    const opened = await fetch(pixel);
    expect([opened.status, opened.headers.get('content-type')]).toEqual([200, 'image/gif']);
    const redirected = await fetch(click, { redirect: 'manual' });
    expect([redirected.status, redirected.headers.get('location')]).toEqual([302, `https://shop.example/cart?p=${profileId}`]);
    // Tampering: another link index or send id in the token, or a token cut short, is refused.
    const token = click.split('/').pop()!;
    for (const forged of [token.slice(0, 30) + (token[30] === 'A' ? 'B' : 'A') + token.slice(31), token.slice(0, -1), pixel.split('/').pop()!]) {
      expect((await fetch(`${base}/t/c/${forged}`, { redirect: 'manual' })).status).toBe(404);
    }

    const page = await fetch(listUnsubscribe.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post">');
    expect(await db.query(`SELECT 1 FROM email_suppression WHERE project_id = $1`, [projectId])).toEqual([]);
    const oneClick = await fetch(listUnsubscribe.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(oneClick.status).toBe(200);
    expect((await fetch(listUnsubscribe.url, { method: 'POST', body: 'List-Unsubscribe=One-Click' })).status).toBe(200);
    expect(await db.query(`SELECT reason FROM email_suppression WHERE project_id = $1 AND address = $2`, [projectId, address])).toEqual([{ reason: 'unsubscribed' }]);
    expect(await db.query(`SELECT email_subscribed FROM email_profile WHERE profile_id = $1`, [profileId])).toEqual([{ email_subscribed: false }]);

    const events = await until(async () => {
      const found = await engagements(projectId);
      return found.some((event) => event.event === 'Email Unsubscribed') ? found : undefined;
    });
    expect(events.filter((event) => ['Email Opened', 'Email Clicked', 'Email Unsubscribed'].includes(event.event)).map(({ event, properties }) => [event, properties.url ?? properties.source ?? null])).toEqual([
      ['Email Opened', null],
      ['Email Clicked', `https://shop.example/cart?p=${profileId}`],
      ['Email Unsubscribed', 'one-click'],
    ]);
    await requestSend(projectId, templateId, profileId);
    await eventually(async () => (await sendsOf(projectId, profileId)).length === 2);
    expect((await settled(projectId, profileId)).map((row) => row.reason ?? 'sent').sort()).toEqual(['UNSUBSCRIBED', 'sent']);
  });

  it('counts an open and a click made the moment the server has the message, before its result is recorded', async () => {
    const { projectId, templateId } = await setUpProject();
    const profileId = randomUUID();
    const address = `early-${profileId}@example.com`;
    await publish(ProfileChanged, projectId, profile(profileId, address, true, { first_name: 'Eve' }));
    await eventually(async () => (await db.query(`SELECT 1 FROM email_profile WHERE profile_id = $1`, [profileId])).length > 0);
    // The sink holds its 250 back: the dispatcher cannot record the result while the recipient already reads.
    sink.replyDelayMs = 3000;
    try {
      await requestSend(projectId, templateId, profileId);
      const mail = await until(async () => sink.to(address)[0]);
      expect((await sendsOf(projectId, profileId))[0]).toMatchObject({ status: 'sending' });
      const base = sut.url.replace(/\/graphql$/, '');
      const html = mail.parsed.html as string;
      const click = new RegExp(`href="(${base}/t/c/[A-Za-z0-9_-]+)"`).exec(html)![1]!;
      const redirected = await fetch(click, { redirect: 'manual' });
      expect([redirected.status, redirected.headers.get('location')]).toEqual([302, `https://shop.example/cart?p=${profileId}`]);
      expect((await fetch(new RegExp(`src="(${base}/t/o/[A-Za-z0-9_-]+)"`).exec(html)![1]!)).status).toBe(200);
    } finally {
      sink.replyDelayMs = 0;
    }
    const [row] = await settled(projectId, profileId);
    expect(row).toMatchObject({ status: 'sent' });
    expect(await db.query(`SELECT open_count, click_count FROM email_send WHERE project_id = $1`, [projectId])).toEqual([{ open_count: 1, click_count: 1 }]);
  });

  it('takes DSNs on the VERP return path (a hard bounce suppresses the address) and mailto unsubscribes; refuses other recipients', async () => {
    const { projectId, templateId } = await setUpProject();
    const ids = [randomUUID(), randomUUID()];
    const addresses = ids.map((id) => `dsn-${id}@example.com`);
    for (const [i, id] of ids.entries()) await publish(ProfileChanged, projectId, profile(id, addresses[i]!, true));
    await eventually(async () => (await db.query(`SELECT 1 FROM email_profile WHERE project_id = $1`, [projectId])).length === 2);
    for (const id of ids) await requestSend(projectId, templateId, id);
    for (const id of ids) expect((await settled(projectId, id))[0]).toMatchObject({ status: 'sent' });
    const [bouncing, leaving] = ids.map((_, i) => sink.to(addresses[i]!)[0]!);
    const inbound = nodemailer.createTransport({ host: '127.0.0.1', port: sut.app.get(InboundMailListener).port!, secure: false, ignoreTLS: true });
    const dsn = (recipient: string) =>
      [
        'From: MAILER-DAEMON@mx.example.com',
        `To: ${bouncing!.envelope.from}`,
        'Subject: Undelivered Mail Returned to Sender',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
        '',
        '--B',
        'Content-Type: text/plain',
        '',
        'The mail could not be delivered.',
        '--B',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.example.com',
        '',
        `Final-Recipient: rfc822; ${recipient}`,
        'Action: failed',
        'Status: 5.1.1',
        'Diagnostic-Code: smtp; 550 5.1.1 no such user',
        '--B--',
        '',
      ].join('\r\n');
    // A report naming another address than the send's is ignored; the right one is recorded.
    await inbound.sendMail({ envelope: { from: '', to: bouncing!.envelope.from }, raw: dsn('someone-else@example.com') });
    expect(await db.query(`SELECT 1 FROM email_suppression WHERE project_id = $1`, [projectId])).toEqual([]);
    await inbound.sendMail({ envelope: { from: '', to: bouncing!.envelope.from }, raw: dsn(addresses[0]!) });
    expect(await db.query(`SELECT address, reason FROM email_suppression WHERE project_id = $1`, [projectId])).toEqual([{ address: addresses[0], reason: 'hard_bounce' }]);
    expect(await db.query(`SELECT bounce_type FROM email_send WHERE project_id = $1 AND profile_id = $2`, [projectId, ids[0]])).toEqual([{ bounce_type: 'hard' }]);

    const mailto = /<mailto:([^>?]+)\?/.exec(leaving!.parsed.headerLines.find((line) => line.key === 'list-unsubscribe')!.line.replace(/\r?\n[ \t]+/g, ' '))![1]!;
    await inbound.sendMail({ from: addresses[1], to: mailto, subject: 'unsubscribe', text: 'unsubscribe' });
    expect(await db.query(`SELECT address, reason FROM email_suppression WHERE project_id = $1 ORDER BY reason`, [projectId])).toEqual([
      { address: addresses[0], reason: 'hard_bounce' },
      { address: addresses[1], reason: 'unsubscribed' },
    ]);
    await expect(inbound.sendMail({ from: 'x@example.com', to: 'postmaster@bounces.boomerang.local', text: 'hi' })).rejects.toMatchObject({ responseCode: 550 });
    await expect(inbound.sendMail({ from: 'x@example.com', to: `u+${'A'.repeat(47)}@bounces.boomerang.local`, text: 'hi' })).rejects.toMatchObject({ responseCode: 550 });
    inbound.close();
    const events = await until(async () => {
      const found = await engagements(projectId);
      return found.some((event) => event.event === 'Email Bounced') && found.some((event) => event.event === 'Email Unsubscribed') ? found : undefined;
    });
    expect(events.find((event) => event.event === 'Email Bounced')).toMatchObject({ profileId: ids[0], properties: { bounceType: 'hard', status: '5.1.1' } });
    expect(events.find((event) => event.event === 'Email Unsubscribed')).toMatchObject({ profileId: ids[1], properties: { source: 'mailto' } });
  });

  it('takes complaint reports (ARF) at the feedback loop address: the send named by its signed token is recorded, the address suppressed, the profile unsubscribed', async () => {
    const { projectId, templateId } = await setUpProject();
    const profileId = randomUUID();
    const address = `arf-${profileId}@example.com`;
    await publish(ProfileChanged, projectId, profile(profileId, address, true));
    await eventually(async () => (await db.query(`SELECT 1 FROM email_profile WHERE profile_id = $1`, [profileId])).length > 0);
    await requestSend(projectId, templateId, profileId);
    expect((await settled(projectId, profileId))[0]).toMatchObject({ status: 'sent' });
    const received = sink.to(address)[0]!;
    // What a feedback loop sends back: its report and the original message's headers, the recipient redacted.
    const originalHeaders = received.raw.split('\r\n\r\n')[0]!.replace(address, 'redacted@example.com');
    const arf = (feedbackType: string, headers: string) =>
      [
        'From: feedback@fbl.mailbox.example',
        'To: fbl@bounces.boomerang.local',
        'Subject: complaint about message from 192.0.2.1',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=feedback-report; boundary="B"',
        '',
        '--B',
        'Content-Type: text/plain',
        '',
        'This is an email abuse report.',
        '--B',
        'Content-Type: message/feedback-report',
        '',
        `Feedback-Type: ${feedbackType}`,
        'User-Agent: Mailbox-Feedback/1.0',
        'Version: 1',
        'Original-Rcpt-To: redacted@example.com',
        '',
        '--B',
        'Content-Type: text/rfc822-headers',
        '',
        headers,
        '--B--',
        '',
      ].join('\r\n');
    const inbound = nodemailer.createTransport({ host: '127.0.0.1', port: sut.app.get(InboundMailListener).port!, secure: false, ignoreTLS: true });
    const complaints = () => db.query(`SELECT address, reason FROM email_suppression WHERE project_id = $1`, [projectId]);
    try {
      // Not a complaint, and a report whose token was altered: nothing recorded.
      await inbound.sendMail({ envelope: { from: '', to: 'fbl@bounces.boomerang.local' }, raw: arf('not-spam', originalHeaders) });
      const forged = originalHeaders.replace(/(\/t\/u\/|u\+)([A-Za-z0-9_-])/g, (_, prefix: string, first: string) => `${prefix}${first === 'A' ? 'B' : 'A'}`);
      await inbound.sendMail({ envelope: { from: '', to: 'fbl@bounces.boomerang.local' }, raw: arf('abuse', forged) });
      expect(await complaints()).toEqual([]);

      await inbound.sendMail({ envelope: { from: '', to: 'fbl@bounces.boomerang.local' }, raw: arf('abuse', originalHeaders) });
      // A second report of the same complaint (at the return path, where some loops send) changes nothing.
      await inbound.sendMail({ envelope: { from: '', to: received.envelope.from }, raw: arf('abuse', originalHeaders) });
    } finally {
      inbound.close();
    }
    expect(await complaints()).toEqual([{ address, reason: 'complaint' }]);
    expect(await db.query(`SELECT email_subscribed FROM email_profile WHERE project_id = $1 AND profile_id = $2`, [projectId, profileId])).toEqual([{ email_subscribed: false }]);
    const emails = await sut.query<{ _entities: { emails: { complainedAt: string | null; unsubscribedAt: string | null }[] }[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { emails(first: 5) { complainedAt unsubscribedAt } } } }`,
      { r: [{ __typename: 'Profile', id: profileId }] },
      secretKeyCaller(projectId),
    );
    expect(emails.errors).toBeUndefined();
    const [sent] = emails.data!._entities[0]!.emails;
    expect(sent!.complainedAt).not.toBeNull();
    expect(sent!.unsubscribedAt).toBe(sent!.complainedAt);
    const events = await until(async () => {
      const found = await engagements(projectId);
      return found.some((event) => event.event === 'Email Complained') ? found : undefined;
    });
    expect(events.filter((event) => event.event === 'Email Complained')).toEqual([
      expect.objectContaining({
        profileId,
        properties: expect.objectContaining({ feedbackType: 'abuse', address }),
        also: [expect.objectContaining({ event: 'Email Unsubscribed', properties: expect.objectContaining({ source: 'complaint' }) })],
      }),
    ]);
  });

  it('erases a deleted profile: its sends, and its commands and reports on the EMAIL stream; a merged profile\'s sends become the survivor\'s', async () => {
    const { projectId, templateId } = await setUpProject();
    const [erased, kept, merged, survivor] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    for (const id of [erased, kept, merged]) await publish(ProfileChanged, projectId, profile(id, `gdpr-${id}@example.com`, true));
    await eventually(async () => (await db.query(`SELECT 1 FROM email_profile WHERE project_id = $1`, [projectId])).length === 3);
    for (const id of [erased, kept, merged]) await requestSend(projectId, templateId, id);
    for (const id of [erased, kept, merged]) expect((await settled(projectId, id))[0]).toMatchObject({ status: 'sent' });
    await until(async () => ((await engagements(projectId)).length === 3 ? true : undefined));
    const stream = sut.messaging.subjects.streamName('email');
    /** The profile ids named by the project's messages on the EMAIL stream (commands and reports). */
    const namedOnStream = async () => {
      const info = await sut.messaging.jsm.streams.info(stream);
      const texts: string[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const message = await sut.messaging.jsm.streams.getMessage(stream, { seq }).catch(() => null);
        if (message?.subject.includes(projectId)) texts.push(message.string());
      }
      return [erased, kept, merged].filter((id) => texts.some((text) => text.includes(id)));
    };
    expect(await namedOnStream()).toEqual([erased, kept, merged]);

    await publish(ProfileDeleted, projectId, { profileId: erased });
    await publish(ProfileMerged, projectId, { profileId: survivor, mergedProfileId: merged });
    await eventually(async () => (await db.query(`SELECT 1 FROM email_send WHERE project_id = $1 AND profile_id = $2`, [projectId, survivor])).length === 1);
    await eventually(async () => (await namedOnStream()).length === 2, { timeoutMs: 20_000 });
    expect(await namedOnStream()).toEqual([kept, merged]);
    expect(await db.query(`SELECT profile_id FROM email_send WHERE project_id = $1 ORDER BY profile_id = $2`, [projectId, kept])).toEqual([{ profile_id: survivor }, { profile_id: kept }]);
    expect(await db.query(`SELECT email FROM email_profile WHERE project_id = $1 AND profile_id = $2`, [projectId, erased])).toEqual([{ email: null }]);
  });

  it('keeps the SMTP URL sealed: never returned, not readable in the table', async () => {
    const projectId = randomUUID();
    const set = await sut.query<{ setEmailSenderSettings: Record<string, unknown> }>(
      `mutation($input: SenderSettingsInput!) { setEmailSenderSettings(input: $input) { smtpConfigured smtpHost } }`,
      { input: { smtpUrl: 'smtp://user:s3cret-pass@mail.brand.example:587', fromAddress: 'news@brand.example' } },
      secretKeyCaller(projectId),
    );
    expect(set.data!.setEmailSenderSettings).toEqual({ smtpConfigured: true, smtpHost: 'mail.brand.example' });
    const [row] = (await db.query(`SELECT smtp_url_sealed FROM email_sender_settings WHERE project_id = $1`, [projectId])) as { smtp_url_sealed: string }[];
    expect(row!.smtp_url_sealed).not.toContain('s3cret');
    const bad = await sut.query(`mutation($input: SenderSettingsInput!) { setEmailSenderSettings(input: $input) { smtpConfigured } }`, { input: { smtpUrl: 'http://x', fromAddress: 'a@b.example' } }, secretKeyCaller(projectId));
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.smtpUrl' });
  });
});
