import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EmailSendRequested, ProfileChanged, type MessageContract, type MessageOf } from '@boomerang/contracts';
import { domainStreamConfig } from '@boomerang/platform/messaging';
import { eventually, publishableKeyCaller, secretKeyCaller, startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';
import { profileSnapshot } from './profile-snapshot.js';
import { SmtpSink } from './smtp-sink.js';

const PROFILE_EMAILS = `query($reps: [_Any!]!, $first: Int) { _entities(representations: $reps) { ... on Profile { id emails(first: $first) {
  templateId templateVersion templateName status reason attempts sentAt createdAt openCount clickCount bounceType } } } }`;
const SUPPRESSIONS = `query($first: Int, $after: String) { emailSuppressions(first: $first, after: $after) { edges { cursor node { address reason detail createdAt } } pageInfo { hasNextPage endCursor } } }`;

type ProfileEmails = { _entities: { id: string; emails: Record<string, unknown>[] | null }[] };
type SuppressionPage = { emailSuppressions: { edges: { node: { address: string; reason: string; detail: string | null } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

/** GraphQL over what email recorded: the suppression list and Profile.emails. */
describe('email subgraph: suppression list and Profile.emails', () => {
  let sut: TestSubgraph;
  let db: DataSource;
  const sink = new SmtpSink();

  beforeAll(async () => {
    await sink.start();
    process.env.EMAIL_SEND_POLL_MS = '50';
    delete process.env.EMAIL_BOUNCE_PORT;
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'email' });
    db = sut.app.get(DataSource);
    await sut.messaging.jsm.streams.add(domainStreamConfig(sut.messaging.subjects, 'profiles'));
  });
  afterAll(async () => {
    await sut?.close();
    await sink.stop();
  });

  const publish = <C extends MessageContract>(contract: C, projectId: string, body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>) =>
    sut.messaging.js.publish(sut.messaging.subjects.subject(contract, projectId), JSON.stringify({ projectId, occurredAt: new Date().toISOString(), ...body }), { msgID: randomUUID() });

  it('lists, adds and removes suppressed addresses newest first, page by page, scoped to the project; bad input names the field', async () => {
    const projectId = randomUUID();
    const caller = secretKeyCaller(projectId);
    for (const address of ['a@example.com', ' B@Example.com', 'c@example.com']) {
      const added = await sut.query<{ suppressEmail: { address: string; reason: string; detail: string | null } }>(
        `mutation($address: String!) { suppressEmail(address: $address, note: "asked by phone") { address reason detail } }`,
        { address },
        caller,
      );
      expect(added.errors).toBeUndefined();
      expect(added.data!.suppressEmail).toEqual({ address: address.trim().toLowerCase(), reason: 'MANUAL', detail: 'asked by phone' });
      await new Promise((resolve) => setTimeout(resolve, 5)); // distinct created_at, so the order is known
    }
    // A bounce recorded earlier keeps its reason when the address is added by hand.
    await db.query(`INSERT INTO email_suppression (project_id, address, reason, detail) VALUES ($1, 'd@example.com', 'hard_bounce', '5.1.1')`, [projectId]);
    const again = await sut.query<{ suppressEmail: { reason: string } }>(`mutation { suppressEmail(address: "D@example.com") { reason } }`, {}, caller);
    expect(again.data!.suppressEmail.reason).toBe('HARD_BOUNCE');
    await sut.query(`mutation { suppressEmail(address: "other@example.com") { address } }`, {}, secretKeyCaller(randomUUID()));

    const first = await sut.query<SuppressionPage>(SUPPRESSIONS, { first: 3 }, caller);
    expect(first.errors).toBeUndefined();
    expect(first.data!.emailSuppressions.edges.map((edge) => edge.node.address)).toEqual(['d@example.com', 'c@example.com', 'b@example.com']);
    expect(first.data!.emailSuppressions.pageInfo.hasNextPage).toBe(true);
    const second = await sut.query<SuppressionPage>(SUPPRESSIONS, { first: 3, after: first.data!.emailSuppressions.pageInfo.endCursor }, caller);
    expect(second.data!.emailSuppressions.edges.map((edge) => edge.node.address)).toEqual(['a@example.com']);
    expect(second.data!.emailSuppressions.pageInfo).toEqual({ hasNextPage: false, endCursor: expect.any(String) });

    const removed = await sut.query<{ unsuppressEmail: boolean }>(`mutation { unsuppressEmail(address: "C@example.com") }`, {}, caller);
    expect(removed.data!.unsuppressEmail).toBe(true);
    expect((await sut.query<{ unsuppressEmail: boolean }>(`mutation { unsuppressEmail(address: "c@example.com") }`, {}, caller)).data!.unsuppressEmail).toBe(false);
    expect((await sut.query<SuppressionPage>(SUPPRESSIONS, { first: 10 }, caller)).data!.emailSuppressions.edges).toHaveLength(3);

    const invalid = await sut.query(`mutation { suppressEmail(address: "not an address") { address } }`, {}, caller);
    expect(invalid.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_EMAIL_ADDRESS', field: 'address' });
    const cursor = await sut.query(SUPPRESSIONS, { first: 3, after: 'nonsense' }, caller);
    expect(cursor.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const tooMany = await sut.query(SUPPRESSIONS, { first: 101 }, caller);
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await sut.query(SUPPRESSIONS, { first: 3 }, publishableKeyCaller(projectId))).errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
  });

  it("resolves Profile.emails: each profile's sends newest first with template, status, skip reason and times", async () => {
    const projectId = randomUUID();
    const caller = secretKeyCaller(projectId);
    expect((await sut.query(`mutation($input: SenderSettingsInput!) { setEmailSenderSettings(input: $input) { smtpConfigured } }`, { input: { smtpUrl: sink.url, fromAddress: 'news@brand.example' } }, caller)).errors).toBeUndefined();
    const created = await sut.query<{ createEmailTemplate: { id: string } }>(
      `mutation { createEmailTemplate(input: { name: "Welcome", subject: "Hi", htmlBody: "<p>Hi</p>" }) { id } }`,
      {},
      caller,
    );
    const templateId = created.data!.createEmailTemplate.id;
    const subscribed = randomUUID();
    const unsubscribed = randomUUID();
    const nobody = randomUUID();
    await publish(ProfileChanged, projectId, profileSnapshot(subscribed, `ann-${subscribed}@example.com`, true));
    await publish(ProfileChanged, projectId, profileSnapshot(unsubscribed, `bob-${unsubscribed}@example.com`, false));
    await eventually(async () => (await db.query(`SELECT 1 FROM email_profile WHERE project_id = $1`, [projectId])).length === 2);
    const request = (profileId: string) =>
      publish(EmailSendRequested, projectId, { templateId, templateVersion: 1, profileId, campaignId: null, journeyId: null, idempotencyKey: randomUUID() });
    await request(subscribed);
    await eventually(async () => (await db.query(`SELECT 1 FROM email_send WHERE project_id = $1 AND status = 'sent'`, [projectId])).length === 1);
    await request(subscribed);
    await request(unsubscribed);
    await eventually(async () => (await db.query(`SELECT 1 FROM email_send WHERE project_id = $1 AND status IN ('sent', 'skipped')`, [projectId])).length === 3);

    const reps = [subscribed, unsubscribed, nobody].map((id) => ({ __typename: 'Profile', id }));
    const answer = await sut.query<ProfileEmails>(PROFILE_EMAILS, { reps, first: 5 }, caller);
    expect(answer.errors).toBeUndefined();
    const [ann, bob, none] = answer.data!._entities;
    expect(ann!.emails).toHaveLength(2);
    expect(ann!.emails![0]).toEqual({
      templateId,
      templateVersion: 1,
      templateName: 'Welcome',
      status: 'SENT',
      reason: null,
      attempts: 1,
      sentAt: expect.any(String),
      createdAt: expect.any(String),
      openCount: 0,
      clickCount: 0,
      bounceType: null,
    });
    expect(new Date(ann!.emails![0]!.createdAt as string) >= new Date(ann!.emails![1]!.createdAt as string)).toBe(true);
    expect(bob!.emails).toEqual([expect.objectContaining({ status: 'SKIPPED', reason: 'UNSUBSCRIBED', sentAt: null })]);
    expect(none!.emails).toEqual([]);
    expect((await sut.query<ProfileEmails>(PROFILE_EMAILS, { reps, first: 1 }, caller)).data!._entities[0]!.emails).toHaveLength(1);

    // Another project's key sees none of them.
    const other = await sut.query<ProfileEmails>(PROFILE_EMAILS, { reps, first: 5 }, secretKeyCaller(randomUUID()));
    expect(other.data!._entities.map((entity) => entity.emails)).toEqual([[], [], []]);
    const bad = await sut.query<ProfileEmails>(PROFILE_EMAILS, { reps, first: 0 }, caller);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });
});
