// The trigger latency bench's per-hop breakdown: where each probe's time went between its request
// and the SMTP sink's accept, from instants the platform records anyway (nothing is added to the
// production path). Read after the run, before the platform (and its database) is stopped:
//   events.event.received_at                   the ingestion API took the request
//   EventsIngested's stream timestamp          events committed and published it
//   campaigns.inbox.processed_at               campaigns' trigger consumer began its transaction (now())
//   campaigns.campaign_delivery.decided_at     the delivery decision (the consumer's clock, in that transaction)
//   EmailSendRequested's stream timestamp      campaigns committed and its outbox relay published it
//   email.inbox.processed_at                   email's send-requested consumer began its transaction
//   email.email_send.smtp_started_at           a dispatcher claimed the send, rendered it and began SMTP
// and the bench's own clock for the request sent and the sink's accept. All on one machine's clock.
import pg from 'pg';
import { EmailSendRequested, EventsIngested, SubjectNamer } from '@boomerang/contracts';
import { connectMessaging, MSG_ID_HEADER } from '@boomerang/platform/messaging';
import { TEST_NATS_URL } from '@boomerang/platform/testing';

export interface ProbeTimes {
  userId: string;
  /** Wall-clock ms: the probe's request sent, and its email accepted by the sink. */
  sentAt: number;
  acceptedAt: number;
}

/** The hops in path order: each one's name and its duration per probe (ms; probes missing a time are left out). */
export interface Hops {
  probes: number;
  /** Probes with every instant found. */
  complete: number;
  hops: { name: string; ms: number[] }[];
  /** The slowest probes, each with its hops (for the tail: which hop it spent its time in). */
  slowest: { userId: string; total: number; hops: number[] }[];
}

const HOP_NAMES = [
  'request → received by events',
  'received → EventsIngested published (ingest commit)',
  'published → campaigns trigger consumer tx start',
  'campaigns tx start → decision',
  'decision → EmailSendRequested published (commit, outbox relay)',
  'published → email consumer tx start',
  'email tx start → SMTP started (commit, dispatcher wake, claim, render)',
  'SMTP started → sink accepted',
];

export async function hopBreakdown(options: { databaseUrl: string; subjectPrefix: string; probes: readonly ProbeTimes[] }): Promise<Hops> {
  const db = new pg.Client({ connectionString: options.databaseUrl });
  await db.connect();
  try {
    const userIds = options.probes.map((probe) => probe.userId);
    const events = (await db.query<{ id: string; user_id: string; project_id: string; received_at: Date }>(
      `SELECT id, user_id, project_id, received_at FROM events.event WHERE name = 'Bench Trigger' AND user_id = ANY($1) AND properties ? 'probe'`,
      [userIds],
    )).rows;
    const projectId = events[0]?.project_id;
    const subjects = new SubjectNamer(options.subjectPrefix);
    const ingested = projectId ? await streamTimes(options.subjectPrefix, subjects.streamName('events'), subjects.subject(EventsIngested, projectId), 'Bench Trigger', eventIdsOf) : new Map();
    const requested = projectId ? await streamTimes(options.subjectPrefix, subjects.streamName('email'), subjects.subject(EmailSendRequested, projectId), '', (_body, msgId) => [msgId]) : new Map();

    const fires = (await db.query<{ cause_id: string; triggered_at: Date; decided_at: Date; key: string }>(
      `SELECT f.cause_id, f.triggered_at, d.decided_at,
              'campaign:' || f.campaign_id || ':' || (extract(epoch FROM f.triggered_at) * 1000)::bigint || ':' || f.profile_id AS key
       FROM campaigns.campaign_trigger_fire f
       JOIN campaigns.campaign_delivery d ON d.campaign_id = f.campaign_id AND d.occurrence_at = f.triggered_at AND d.profile_id = f.profile_id
       WHERE f.cause_id = ANY($1)`,
      [events.map((event) => `event:${event.id}`)],
    )).rows;
    const campaignInbox = await processedAt(db, 'campaigns', 'campaigns-trigger-events', [...new Set([...ingested.values()].map((at) => at.msgId))]);
    const sends = (await db.query<{ idempotency_key: string; smtp_started_at: Date | null }>(
      `SELECT idempotency_key, smtp_started_at FROM email.email_send WHERE idempotency_key = ANY($1)`,
      [fires.map((fire) => fire.key)],
    )).rows;
    const emailInbox = await processedAt(db, 'email', 'email-send-requested', fires.map((fire) => fire.key));

    const eventOf = new Map(events.map((event) => [event.user_id, event]));
    const fireOf = new Map(fires.map((fire) => [fire.cause_id, fire]));
    const sendOf = new Map(sends.map((send) => [send.idempotency_key, send]));
    const hops = HOP_NAMES.map((name) => ({ name, ms: [] as number[] }));
    const all: { userId: string; total: number; hops: number[] }[] = [];
    let complete = 0;
    for (const probe of options.probes) {
      const event = eventOf.get(probe.userId);
      const published = event && ingested.get(event.id);
      const fire = event && fireOf.get(`event:${event.id}`);
      const instants = [
        probe.sentAt,
        event?.received_at.getTime(),
        published?.at,
        published && campaignInbox.get(published.msgId),
        fire?.decided_at.getTime(),
        fire && requested.get(fire.key)?.at,
        fire && emailInbox.get(fire.key),
        fire && sendOf.get(fire.key)?.smtp_started_at?.getTime(),
        probe.acceptedAt,
      ];
      const durations = instants.slice(1).map((at, i) => (at === undefined || instants[i] === undefined ? undefined : at - instants[i]!));
      durations.forEach((ms, i) => ms !== undefined && hops[i]!.ms.push(ms));
      if (durations.every((ms) => ms !== undefined)) {
        complete++;
        all.push({ userId: probe.userId, total: probe.acceptedAt - probe.sentAt, hops: durations as number[] });
      }
    }
    all.sort((a, b) => b.total - a.total);
    return { probes: options.probes.length, complete, hops, slowest: all.slice(0, 5) };
  } finally {
    await db.end();
  }
}

export function printHops(result: Hops): void {
  const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  const width = Math.max(...result.hops.map((hop) => hop.name.length));
  console.log(`per hop (ms; ${result.complete}/${result.probes} probes with every instant found):`);
  console.log(`  ${'hop'.padEnd(width)}  ${'p50'.padStart(6)} ${'p95'.padStart(6)} ${'p99'.padStart(6)} ${'max'.padStart(6)}`);
  for (const hop of result.hops) {
    const sorted = [...hop.ms].sort((a, b) => a - b);
    const cells = [0.5, 0.95, 0.99, 1].map((q) => quantile(sorted, q).toFixed(0).padStart(6));
    console.log(`  ${hop.name.padEnd(width)}  ${cells.join(' ')}`);
  }
  console.log('slowest probes (total, then each hop in the order above, ms):');
  for (const probe of result.slowest) console.log(`  ${probe.total.toFixed(0).padStart(6)}: ${probe.hops.map((ms) => ms.toFixed(0)).join(' / ')}`);
}

/** The inbox rows of `consumer` in `schema`: when each message's transaction began (ms). */
async function processedAt(db: pg.Client, schema: string, consumer: string, messageIds: readonly string[]): Promise<Map<string, number>> {
  const rows = (await db.query<{ message_id: string; processed_at: Date }>(`SELECT message_id, processed_at FROM ${schema}.inbox WHERE consumer = $1 AND message_id = ANY($2)`, [consumer, messageIds]))
    .rows;
  return new Map(rows.map((row) => [row.message_id, row.processed_at.getTime()]));
}

const eventIdsOf = (body: unknown): string[] => (body as { events: { eventId: string }[] }).events.map((event) => event.eventId);

/**
 * Reads every message on `subject` (an ordered consumer from the stream's start); for the ones whose
 * text contains `needle`, maps each key `keysOf` gives to the message's id and stream timestamp (ms).
 */
async function streamTimes(
  prefix: string,
  stream: string,
  subject: string,
  needle: string,
  keysOf: (body: unknown, msgId: string) => string[],
): Promise<Map<string, { msgId: string; at: number }>> {
  const messaging = await connectMessaging({ url: TEST_NATS_URL, name: 'bench-trigger-hops', prefix });
  const times = new Map<string, { msgId: string; at: number }>();
  try {
    const consumer = await messaging.js.consumers.get(stream, { filter_subjects: subject });
    const pending = (await consumer.info()).num_pending;
    if (pending === 0) return times;
    const messages = await consumer.consume({ max_messages: 500 });
    for await (const message of messages) {
      const text = message.string();
      if (text.includes(needle)) {
        const msgId = message.headers?.get(MSG_ID_HEADER) ?? '';
        const at = Number(message.info.timestampNanos) / 1e6;
        for (const key of keysOf(JSON.parse(text), msgId)) times.set(key, { msgId, at });
      }
      if (message.info.pending === 0) break;
    }
    await messages.close();
  } finally {
    await messaging.nc.close();
  }
  return times;
}
