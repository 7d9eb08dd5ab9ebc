import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EmailSendRequested, ProfileChanged, type MessageContract, type MessageOf } from '@boomerang/contracts';
import { domainStreamConfig } from '@boomerang/platform/messaging';
import { eventually, secretKeyCaller, startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';
import { profileSnapshot } from './profile-snapshot.js';
import { SmtpSink } from './smtp-sink.js';

/**
 * A queued send is dispatched when its queuing transaction commits (PostgreSQL NOTIFY), not at
 * the next poll: with the poll ten minutes away, only that notification can send these in time.
 * (A wake from inside the queuing transaction could claim before the commit and find nothing,
 * which left triggered sends waiting a poll interval.)
 */
describe('email subgraph: a committed send wakes the dispatcher', () => {
  let sut: TestSubgraph;
  let db: DataSource;
  const sink = new SmtpSink();
  const previousPoll = process.env.EMAIL_SEND_POLL_MS;

  beforeAll(async () => {
    await sink.start();
    Object.assign(process.env, { EMAIL_SEND_POLL_MS: '600000', EMAIL_BOUNCE_PORT: '0' });
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'email' });
    db = sut.app.get(DataSource);
    await sut.messaging.jsm.streams.add(domainStreamConfig(sut.messaging.subjects, 'profiles'));
  });
  afterAll(async () => {
    await sut?.close();
    await sink.stop();
    if (previousPoll === undefined) delete process.env.EMAIL_SEND_POLL_MS;
    else process.env.EMAIL_SEND_POLL_MS = previousPoll;
  });

  const publish = <C extends MessageContract>(contract: C, projectId: string, body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>) =>
    sut.messaging.js.publish(sut.messaging.subjects.subject(contract, projectId), JSON.stringify({ projectId, occurredAt: new Date().toISOString(), ...body }), { msgID: randomUUID() });

  it('sends each queued command within seconds although the next poll is ten minutes away', async () => {
    const projectId = randomUUID();
    const caller = secretKeyCaller(projectId);
    const settings = await sut.query(`mutation($input: SenderSettingsInput!) { setEmailSenderSettings(input: $input) { smtpConfigured } }`, { input: { smtpUrl: sink.url, fromAddress: 'news@brand.example' } }, caller);
    expect(settings.errors).toBeUndefined();
    const created = await sut.query<{ createEmailTemplate: { id: string } }>(
      `mutation($input: CreateEmailTemplateInput!) { createEmailTemplate(input: $input) { id } }`,
      { input: { name: 'Hello', format: 'HTML', subject: 'Hello {{ profile.first_name | default: "there" }}', htmlBody: '<p>Hello</p>' } },
      caller,
    );
    expect(created.errors).toBeUndefined();
    const templateId = created.data!.createEmailTemplate.id;

    for (const round of [1, 2, 3]) {
      const profileId = randomUUID();
      const address = `wake-${round}-${profileId}@example.com`;
      await publish(ProfileChanged, projectId, profileSnapshot(profileId, address, true));
      await eventually(async () => ((await db.query(`SELECT 1 FROM email_profile WHERE project_id = $1 AND profile_id = $2`, [projectId, profileId])) as unknown[]).length > 0);
      const requestedAt = Date.now();
      await publish(EmailSendRequested, projectId, { templateId, templateVersion: 1, profileId, campaignId: null, journeyId: null, idempotencyKey: randomUUID(), event: {} });
      await eventually(() => sink.to(address).length === 1, { timeoutMs: 8_000 });
      expect(Date.now() - requestedAt).toBeLessThan(8_000);
    }
  });
});
