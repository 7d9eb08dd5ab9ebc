import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { EmailSendRequested, ProfileChanged, type MessageContract, type MessageOf } from '@boomerang/contracts';
import { signCallerContext } from '@boomerang/platform/auth';
import { domainStreamConfig } from '@boomerang/platform/messaging';
import { ensureDatabase } from '@boomerang/platform/persistence';
import { createTestMessaging, eventually, TEST_DATABASE_URL, TEST_NATS_URL, type TestMessaging } from '@boomerang/platform/testing';
import { freePort } from '../../../tools/dev/test-platform.js';
import { profileSnapshot } from './profile-snapshot.js';
import { SEND_STATE } from './send-state.js';
import { SmtpSink } from './smtp-sink.js';

const root = join(import.meta.dirname, '../../..');
const SECRET = randomBytes(32).toString('hex');

interface SendRow {
  idempotency_key: string;
  status: string;
  to_address: string | null;
  attempts: number;
}

/**
 * The email app as a real process (dist/) sending to a real SMTP server: killed with SIGKILL in
 * the middle of a batch, and facing an SMTP server that is away for 60 s.
 */
describe('email sending across a crash and an SMTP outage', () => {
  const schema = `email_t${randomBytes(5).toString('hex')}`;
  const sink = new SmtpSink();
  let messaging: TestMessaging;
  let db: pg.Client;
  let child: ChildProcess | undefined;
  let port: number;

  const start = async (env: Record<string, string>): Promise<void> => {
    child = spawn(process.execPath, [join(root, 'dist/apps/email/src/main.js')], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: TEST_DATABASE_URL,
        DATABASE_SCHEMA: schema,
        NATS_URL: TEST_NATS_URL,
        NATS_SUBJECT_PREFIX: messaging.prefix,
        INTERNAL_SIGNING_SECRET: SECRET,
        EMAIL_PORT: String(port),
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        EMAIL_DEFAULT_SMTP_URL: sink.url,
        EMAIL_DEFAULT_FROM: 'news@brand.example',
        EMAIL_SEND_POLL_MS: '100',
        ...env,
      },
      stdio: process.env.TEST_LOG_LEVEL ? 'inherit' : 'ignore',
    });
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok, { timeoutMs: 30_000, intervalMs: 100 });
  };

  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  };

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools/build/build.mjs')], { cwd: root, stdio: 'ignore' });
    await ensureDatabase(TEST_DATABASE_URL);
    messaging = await createTestMessaging();
    await messaging.jsm.streams.add(domainStreamConfig(messaging.subjects, 'profiles'));
    db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    port = await freePort();
    await sink.start();
  }, 60_000);

  afterAll(async () => {
    await stop('SIGTERM');
    await sink.stop();
    await db?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db?.end();
    await messaging?.cleanup();
  });

  const graphql = async <T>(projectId: string, query: string, variables: Record<string, unknown>): Promise<T> => {
    const body = JSON.stringify({ query, variables });
    const headers = { 'content-type': 'application/json', ...signCallerContext({ projectId, keyId: null, scope: 'secret' }, body, SECRET) };
    const response = (await (await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers, body })).json()) as { data?: T; errors?: unknown[] };
    expect(response.errors).toBeUndefined();
    return response.data!;
  };

  const publish = <C extends MessageContract>(contract: C, projectId: string, body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>, msgID = randomUUID()) =>
    messaging.js.publish(messaging.subjects.subject(contract, projectId), JSON.stringify({ projectId, occurredAt: new Date().toISOString(), ...body }), { msgID });

  /** A project with `count` subscribed profiles and one HTML template; returns the addresses by profile. */
  const setUpProject = async (count: number, tag: string) => {
    const projectId = randomUUID();
    const created = await graphql<{ createEmailTemplate: { id: string } }>(projectId, `mutation($input: CreateEmailTemplateInput!) { createEmailTemplate(input: $input) { id } }`, {
      input: { name: 'Crash', subject: 'Hello {{ profile.name }}', htmlBody: '<p>Hi {{ profile.name }}, send {{ profile.id }}</p>' },
    });
    const profiles = new Map<string, string>();
    for (let i = 0; i < count; i++) {
      const profileId = randomUUID();
      profiles.set(profileId, `${tag}-${i}-${profileId.slice(0, 8)}@example.com`);
      await publish(ProfileChanged, projectId, profileSnapshot(profileId, profiles.get(profileId)!, true));
    }
    await eventually(async () => (await db.query(`SELECT count(*)::int AS n FROM "${schema}".email_profile WHERE project_id = $1`, [projectId])).rows[0].n === count, { timeoutMs: 20_000 });
    return { projectId, templateId: created.createEmailTemplate.id, profiles };
  };

  const requestSends = async (projectId: string, templateId: string, profileIds: string[]) => {
    for (const profileId of profileIds) {
      await publish(EmailSendRequested, projectId, { templateId, templateVersion: 1, profileId, campaignId: null, journeyId: null, idempotencyKey: `key-${profileId}` });
    }
  };

  const sendsOf = async (projectId: string) =>
    (
      await db.query(
        `SELECT s.idempotency_key, ${SEND_STATE} FROM "${schema}".email_send s LEFT JOIN "${schema}".email_send_queue q ON q.send_id = s.id WHERE s.project_id = $1`,
        [projectId],
      )
    ).rows as SendRow[];
  const settled = (projectId: string, count: number, timeoutMs: number) =>
    eventually(
      async () => {
        const rows = await sendsOf(projectId);
        return rows.length === count && rows.every((row) => ['sent', 'skipped', 'failed', 'uncertain'].includes(row.status)) ? rows : undefined;
      },
      { timeoutMs, intervalMs: 200 },
    ) as Promise<SendRow[]>;

  it('never sends twice across a SIGKILL mid-batch: sends in flight become uncertain, the rest go out once after the restart', async () => {
    const lease = { EMAIL_SEND_LEASE_MS: '2000' };
    await start(lease);
    const count = 60;
    const { projectId, templateId, profiles } = await setUpProject(count, 'crash');
    // Each 250 comes 150 ms after the data: the process dies with messages the server has but has not acknowledged.
    sink.replyDelayMs = 150;
    await requestSends(projectId, templateId, [...profiles.keys()]);
    await eventually(() => sink.received.length >= 15, { timeoutMs: 20_000, intervalMs: 5 });
    await stop('SIGKILL');
    const atKill = await sendsOf(projectId);
    expect(atKill.filter((row) => ['sent', 'skipped', 'failed', 'uncertain'].includes(row.status)).length).toBeLessThan(count);

    await start(lease);
    // Commands redelivered or repeated after the restart add nothing.
    await requestSends(projectId, templateId, [...profiles.keys()].slice(0, 10));
    const rows = await settled(projectId, count, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500)); // a late second copy would land now

    const statuses = rows.reduce<Record<string, number>>((counts, row) => ({ ...counts, [row.status]: (counts[row.status] ?? 0) + 1 }), {});
    expect(Object.keys(statuses).sort()).toEqual(expect.arrayContaining(['sent', 'uncertain']));
    expect((statuses.sent ?? 0) + (statuses.uncertain ?? 0)).toBe(count);
    for (const row of rows) {
      const address = profiles.get(row.idempotency_key.slice('key-'.length))!;
      const copies = sink.to(address).length;
      // Sent: the server has it once. Uncertain: it has it at most once (it may have taken the data before the crash).
      expect({ address, status: row.status, tooMany: copies > 1, missing: row.status === 'sent' && copies === 0 }).toEqual({ address, status: row.status, tooMany: false, missing: false });
    }

    const stats = await graphql<{ emailSendStats: Record<string, unknown>[] }>(projectId, `query($t: ID) { emailSendStats(templateId: $t) { templateId total pending sent uncertain } }`, { t: templateId });
    expect(stats.emailSendStats).toEqual([{ templateId, total: count, pending: 0, sent: statuses.sent, uncertain: statuses.uncertain }]);
    await stop('SIGTERM');
    sink.replyDelayMs = 0;
  }, 120_000);

  it('loses nothing and sends nothing twice through a 60 s SMTP outage', async () => {
    // Backoff from 1 s doubling to 8 s: a handful of attempts each during the outage, none of them used up.
    await start({ EMAIL_RETRY_BASE_MS: '1000', EMAIL_RETRY_MAX_MS: '8000', EMAIL_SEND_MAX_ATTEMPTS: '20' });
    const count = 20;
    const { projectId, templateId, profiles } = await setUpProject(count, 'outage');
    await sink.stop();
    const outageStarted = Date.now();
    try {
      await requestSends(projectId, templateId, [...profiles.keys()]);
      await eventually(async () => (await sendsOf(projectId)).filter((row) => row.attempts >= 2).length === count, { timeoutMs: 20_000, intervalMs: 200 });
      await new Promise((resolve) => setTimeout(resolve, 60_000 - (Date.now() - outageStarted)));
      expect((await sendsOf(projectId)).every((row) => row.status === 'deferred' || row.status === 'sending')).toBe(true);
    } finally {
      await sink.start();
    }
    const rows = await settled(projectId, count, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(rows.every((row) => row.status === 'sent')).toBe(true);
    expect(Math.min(...rows.map((row) => row.attempts))).toBeGreaterThanOrEqual(4);
    for (const address of profiles.values()) expect(sink.to(address)).toHaveLength(1);
  }, 150_000);
});
