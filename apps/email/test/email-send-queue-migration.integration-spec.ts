import { randomUUID } from 'node:crypto';
import { createIsolatedSchema, type IsolatedSchema } from '@boomerang/platform/testing';
import { EMAIL_MIGRATIONS } from '../src/migrations/email-migrations.js';
import { EmailSendQueue1763900011500 } from '../src/migrations/1763900011500-email-send-queue.js';

/** Sends queued, deferred and in flight when the queue moves to its own table: none lost, none sent twice, and back again. */
describe('email migration: the dispatcher queue in a table of its own', () => {
  let db: IsolatedSchema;
  const projectId = randomUUID();
  const ids = { queued: randomUUID(), deferred: randomUUID(), claimed: randomUUID(), marked: randomUUID(), sent: randomUUID() };

  beforeAll(async () => {
    db = await createIsolatedSchema('emailqueuemig', { entities: [], migrations: EMAIL_MIGRATIONS.filter((migration) => migration !== EmailSendQueue1763900011500) });
    const row = (id: string, status: string, extra: string) =>
      `('${id}', '${projectId}', '${id}', '${randomUUID()}', 1, '${randomUUID()}', '${status}', ${extra})`;
    await db.dataSource.query(`
      INSERT INTO email_send (id, project_id, idempotency_key, template_id, template_version, profile_id, status, attempts, next_attempt_at, claimed_at, smtp_started_at, message_id, links) VALUES
        ${row(ids.queued, 'queued', `0, now(), NULL, NULL, NULL, '[]'`)},
        ${row(ids.deferred, 'deferred', `2, now() + interval '5 minutes', now() - interval '1 minute', now() - interval '1 minute', '<d@x>', '["https://a.example/old"]'`)},
        ${row(ids.claimed, 'sending', `1, now() + interval '1 minute', now(), NULL, NULL, '[]'`)},
        ${row(ids.marked, 'sending', `3, now() + interval '1 minute', now(), now(), '<m@x>', '["https://a.example/m"]'`)},
        ${row(ids.sent, 'sent', `1, now(), now(), now(), '<s@x>', '["https://a.example/s"]'`)}`);
  });

  afterAll(async () => {
    await db.drop();
  });

  const sends = async () =>
    Object.fromEntries(
      ((await db.dataSource.query(`SELECT id, status, attempts, message_id, links FROM email_send`)) as { id: string }[]).map(({ id, ...rest }) => [
        Object.entries(ids).find(([, value]) => value === id)![0],
        rest,
      ]),
    );

  it('moves every unsettled send into email_send_queue with its claim and mark, and back on the way down', async () => {
    const before = await sends();
    const runner = db.dataSource.createQueryRunner();
    try {
      await new EmailSendQueue1763900011500().up(runner);
      const queue = (await db.dataSource.query(
        `SELECT send_id, attempts, claimed_at IS NOT NULL AS claimed, smtp_started_at IS NOT NULL AS marked, message_id, links, next_attempt_at > now() AS later FROM email_send_queue`,
      )) as { send_id: string }[];
      const byId = new Map(queue.map(({ send_id: id, ...rest }) => [id, rest]));
      expect([...byId.keys()].sort()).toEqual([ids.queued, ids.deferred, ids.claimed, ids.marked].sort());
      expect(byId.get(ids.queued)).toEqual({ attempts: 0, claimed: false, marked: false, message_id: null, links: null, later: false });
      // A deferred send waits for its retry, unclaimed (its last attempt's mark stays on email_send).
      expect(byId.get(ids.deferred)).toEqual({ attempts: 2, claimed: false, marked: false, message_id: null, links: null, later: true });
      expect(byId.get(ids.claimed)).toEqual({ attempts: 1, claimed: true, marked: false, message_id: null, links: [], later: true });
      // Marked in flight: settled uncertain when its lease runs out, never claimed again.
      expect(byId.get(ids.marked)).toEqual({ attempts: 3, claimed: true, marked: true, message_id: '<m@x>', links: ['https://a.example/m'], later: true });
      const statuses = Object.fromEntries(Object.entries(await sends()).map(([name, send]) => [name, (send as { status: string }).status]));
      expect(statuses).toEqual({ queued: 'queued', deferred: 'deferred', claimed: 'queued', marked: 'deferred', sent: 'sent' });
      const indexes = (await db.dataSource.query(`SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'email_send' ORDER BY 1`)) as { indexname: string }[];
      expect(indexes.map((index) => index.indexname)).not.toEqual(expect.arrayContaining(['email_send_due']));
      expect(indexes.map((index) => index.indexname)).not.toEqual(expect.arrayContaining(['email_send_claimed']));

      await new EmailSendQueue1763900011500().down(runner);
      expect(await sends()).toEqual(before);
      expect(await db.dataSource.query(`SELECT to_regclass('email_send_queue') AS queue`)).toEqual([{ queue: null }]);
    } finally {
      await runner.release();
    }
  });
});
