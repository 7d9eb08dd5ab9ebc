import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EmailEngagement, type MessageOf } from '@boomerang/contracts';
import { applyOwnedStream } from '@boomerang/platform/messaging';
import { eventually, type TestSubgraph } from '@boomerang/platform/testing';
import { ProfileLinks } from '../src/profile-sync/profile-links.js';
import { readPublishedEvents, startEventsSubgraph } from './support.js';

type Engagement = MessageOf<typeof EmailEngagement>;

/** email's EmailEngagement reports become verified events on the profile, once each; an unsubscribe also becomes email consent for profiles. */
describe('events record email engagement', () => {
  let sut: TestSubgraph;
  let db: DataSource;
  const projectId = randomUUID();

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    db = sut.app.get(DataSource);
    // The email stream as email declares it; the consumer waits for it if events started first.
    await applyOwnedStream(sut.messaging.jsm, sut.messaging.subjects, 'email');
  });
  afterAll(() => sut?.close());

  const engagement = (sendId: string, profileId: string, event: Engagement['event'], properties: Record<string, unknown> = {}, n?: number): Engagement => {
    const at = new Date().toISOString();
    return {
      projectId,
      occurredAt: at,
      messageId: `email:${sendId}:${event}${n ? `:${n}` : ''}`,
      profileId,
      event,
      at,
      properties: { sendId, templateId: TEMPLATE, templateVersion: 3, campaignId: CAMPAIGN, journeyId: null, ...properties },
    };
  };
  const publish = (body: Engagement, msgID = randomUUID()) =>
    sut.messaging.js.publish(sut.messaging.subjects.subject(EmailEngagement, projectId), JSON.stringify(body), { msgID });
  const eventsOf = async (profileId: string) =>
    (await db.query(
      `SELECT type, name, message_id, user_id, properties, verified FROM "${sut.schema}".event WHERE project_id = $1 AND profile_id = $2 ORDER BY "timestamp", message_id`,
      [projectId, profileId],
    )) as { type: string; name: string; message_id: string; user_id: string | null; properties: Record<string, unknown>; verified: boolean }[];
  const settled = () =>
    eventually(async () => {
      const info = await sut.messaging.jsm.consumers.info(sut.messaging.subjects.streamName('email'), 'events-email-engagement');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });

  it('records each engagement as a verified track event named by email, with the send facts, once despite redelivery', async () => {
    const sendId = randomUUID();
    const profileId = randomUUID();
    const reports = [
      engagement(sendId, profileId, 'Email Sent'),
      engagement(sendId, profileId, 'Email Delivered', { smtpResponse: '250 2.0.0 Ok: queued as 1234' }),
      engagement(sendId, profileId, 'Email Opened', {}, 1),
      engagement(sendId, profileId, 'Email Clicked', { url: 'https://shop.example/sale', linkIndex: 0 }, 1),
      engagement(sendId, profileId, 'Email Clicked', { url: 'https://shop.example/sale', linkIndex: 0 }, 2),
      engagement(sendId, profileId, 'Email Bounced', { bounceType: 'hard', status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 <ada@example.com>: unknown user' }),
      engagement(sendId, profileId, 'Email Complained'),
    ];
    for (const body of reports) {
      const msgID = randomUUID();
      await publish(body, msgID);
      await publish(body, msgID); // a relay retry within JetStream's duplicate window
      await publish(body); // a republish JetStream cannot recognise: the message id catches it
    }
    await eventually(async () => (await eventsOf(profileId)).length === reports.length);
    await settled();
    const events = await eventsOf(profileId);
    const byMessageId = <T>(rows: T[], id: (row: T) => string) => [...rows].sort((a, b) => id(a).localeCompare(id(b)));
    expect(byMessageId(events, (event) => event.message_id).map((event) => [event.type, event.name, event.message_id, event.verified])).toEqual(
      byMessageId(reports, (report) => report.messageId).map((report) => ['track', report.event, report.messageId, true]),
    );
    const facts = { sendId, templateId: TEMPLATE, templateVersion: 3, campaignId: CAMPAIGN, journeyId: null };
    expect(events.find((event) => event.name === 'Email Clicked')!.properties).toEqual({ ...facts, url: 'https://shop.example/sale', linkIndex: 0 });
    // The recipient's address stays in email: neither the SMTP answer nor the diagnostic is copied.
    expect(events.find((event) => event.name === 'Email Delivered')!.properties).toEqual(facts);
    expect(events.find((event) => event.name === 'Email Bounced')!.properties).toEqual({ ...facts, bounceType: 'hard', status: '5.1.1' });
  });

  it('records a report and its `also` facts (Email Sent with Email Delivered) as one event each, once despite redelivery', async () => {
    const sendId = randomUUID();
    const profileId = randomUUID();
    const sent = engagement(sendId, profileId, 'Email Sent');
    const delivered = engagement(sendId, profileId, 'Email Delivered', { smtpResponse: '250 2.0.0 Ok: queued as 99' });
    const report: Engagement = { ...sent, also: [{ messageId: delivered.messageId, event: delivered.event, properties: delivered.properties }] };
    await publish(report);
    await publish(report); // a republish JetStream cannot recognise: the facts' message ids catch it
    // A report of the same send written before `also` existed, one message per fact: nothing twice.
    await publish(delivered);
    await eventually(async () => (await eventsOf(profileId)).length === 2);
    await settled();
    const facts = { sendId, templateId: TEMPLATE, templateVersion: 3, campaignId: CAMPAIGN, journeyId: null };
    expect((await eventsOf(profileId)).map(({ type, name, message_id, properties, verified }) => ({ type, name, message_id, properties, verified })).sort((a, b) => a.message_id.localeCompare(b.message_id))).toEqual([
      { type: 'track', name: 'Email Delivered', message_id: delivered.messageId, properties: facts, verified: true },
      { type: 'track', name: 'Email Sent', message_id: sent.messageId, properties: facts, verified: true },
    ]);
  });

  it('turns Email Unsubscribed into a verified identify with MSG-email false under an id the profile owns, for profiles to apply as email consent', async () => {
    const sendId = randomUUID();
    const profileId = randomUUID();
    await db.transaction((manager) => sut.app.get(ProfileLinks).link(manager, projectId, profileId, 'user-ada', ['anon-1']));
    const report = engagement(sendId, profileId, 'Email Unsubscribed', { source: 'one-click', address: 'ada@example.com' });
    await publish(report);
    await publish(report);
    await eventually(async () => (await eventsOf(profileId)).length === 2);
    await settled();
    const events = await eventsOf(profileId);
    expect(events).toEqual([
      expect.objectContaining({ type: 'track', name: 'Email Unsubscribed', message_id: report.messageId, verified: true }),
      { type: 'identify', name: 'identify', message_id: `${report.messageId}:consent`, user_id: 'user-ada', properties: { 'MSG-email': false }, verified: true },
    ]);
    expect(events[0]!.properties).toEqual({ sendId, templateId: TEMPLATE, templateVersion: 3, campaignId: CAMPAIGN, journeyId: null, source: 'one-click' });
    await sut.flushOutbox();
    const published = (await readPublishedEvents(sut.messaging, projectId)).filter((event) => event.profileId === profileId);
    expect(published).toEqual([
      expect.objectContaining({ type: 'track', name: 'Email Unsubscribed', verified: true }),
      expect.objectContaining({ type: 'identify', userId: 'user-ada', traits: { 'MSG-email': false }, verified: true }),
    ]);
  });

  it('records the consent identify by profile id alone when events knows no id of the profile', async () => {
    const profileId = randomUUID();
    const report = engagement(randomUUID(), profileId, 'Email Unsubscribed', { source: 'mailto' });
    await publish(report);
    await eventually(async () => (await eventsOf(profileId)).length === 2);
    expect((await eventsOf(profileId))[1]).toEqual(
      expect.objectContaining({ type: 'identify', user_id: null, properties: { 'MSG-email': false }, verified: true }),
    );
  });
});

const TEMPLATE = randomUUID();
const CAMPAIGN = randomUUID();
