// Benchmark: campaign fan-out. A one-time EMAIL campaign to everyone in a project of BENCH_PROFILES
// (100,000) profiles goes through the real path: campaigns' occurrence job decides each profile
// (holdout, control, quiet hours, caps), records the decisions and publishes EmailSendRequested
// through its outbox, 1,000 profiles per transaction → JetStream → email's intake, render and pooled
// SMTP → a local SMTP sink. Measured: time from the campaign's start (updateCampaignStatus RUNNING)
// to the last message accepted by the sink. The baseline, in the same run and to the same sink, is
// bare nodemailer with the same pool size sending the very messages the pipeline produced (raw).
// Goal: ≥ 0.6× the bare rate. email runs from dist/ in a child process of its own and campaigns in
// this one (own schemas, one NATS prefix), as each is deployed on its own: never one main thread for
// both; the sink in a child process that counts and keeps the raw messages.
// Knobs: BENCH_PROFILES (100000), BENCH_CONNECTIONS (pool size of both, 10), BENCH_DOMAINS (50).
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { ProfileChanged, type MessageContract, type MessageOf } from '@boomerang/contracts';
import { applyOwnedStream } from '@boomerang/platform/messaging';
import { createTestMessaging, secretKeyCaller, seedKnownProfiles, startTestSubgraph, TEST_DATABASE_URL, uniqueSubjectPrefix } from '@boomerang/platform/testing';
import { freePort } from '../dev/platform.mjs';
import { PROFILE_ZONES_DURABLE } from '../../apps/campaigns/src/audience/profile-zones.js';
import { startDistSubgraph } from './dist-subgraph.js';
import { runSmtpSink, startSmtpSink } from './smtp-sink.js';
import { cpuSampler, machineBusySeconds, processCpuSeconds, processGroups } from './support.js';

const PROFILES = Number(process.env.BENCH_PROFILES ?? 100_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const DOMAINS = Number(process.env.BENCH_DOMAINS ?? 50);

const MJML = `<mjml><mj-body><mj-section><mj-column>
<mj-text>Hello {{ profile.first_name | default: "there" }},</mj-text>
<mj-text>{{ campaign.name }}: new arrivals this week.</mj-text>
<mj-button href="https://shop.example/new?p={{ profile.id }}">See what is new</mj-button>
</mj-column></mj-section></mj-body></mjml>`;

const countIn = async (client: pg.Client, sql: string, params: unknown[]) => (await client.query<{ count: number }>(sql, params)).rows[0]!.count;

async function main(): Promise<void> {
  const sink = await startSmtpSink(process.argv[1]!);
  const sinkPort = sink.port;
  const dir = await mkdtemp(join(tmpdir(), 'bench-fanout-'));

  const prefix = uniqueSubjectPrefix();
  const messaging = await createTestMessaging(prefix);
  // Streams email and campaigns read that their owners (profiles, segments, events) would declare.
  for (const owner of ['profiles', 'segments', 'events'] as const) await applyOwnedStream(messaging.jsm, messaging.subjects, owner);
  const email = await startDistSubgraph('email', {
    prefix,
    env: { EMAIL_SEND_POLL_MS: '100', EMAIL_MESSAGE_ID_DOMAIN: 'bench.test', EMAIL_BOUNCE_PORT: String(await freePort()) },
  });
  const emailDb = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await emailDb.connect();
  await emailDb.query(`SET search_path TO "${email.schema}"`);
  const campaigns = await startTestSubgraph(() => import('../../apps/campaigns/src/app.module.js').then((m) => m.AppModule), { service: 'campaigns', prefix });
  try {
    const projectId = randomUUID();
    const caller = secretKeyCaller(projectId);
    const publish = <C extends MessageContract>(contract: C, body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>) =>
      messaging.js.publish(messaging.subjects.subject(contract, projectId), JSON.stringify({ projectId, occurredAt: new Date().toISOString(), ...body }), { msgID: randomUUID() });
    const settings = await email.query(
      `mutation($input: SenderSettingsInput!) { setEmailSenderSettings(input: $input) { smtpConfigured } }`,
      { input: { smtpUrl: `smtp://127.0.0.1:${sinkPort}`, fromAddress: 'news@brand.example', fromName: 'Brand', maxConnections: CONNECTIONS } },
      caller,
    );
    if (settings.errors) throw new Error(JSON.stringify(settings.errors));
    const template = await email.query<{ createEmailTemplate: { id: string } }>(
      `mutation($input: CreateEmailTemplateInput!) { createEmailTemplate(input: $input) { id } }`,
      { input: { name: 'New arrivals', format: 'MJML', subject: '{{ profile.first_name | default: "Hi" }}, new this week', htmlBody: MJML } },
      caller,
    );
    if (template.errors) throw new Error(JSON.stringify(template.errors));

    // The audience: email learns addresses from ProfileChanged; campaigns knows the profiles (everyone).
    const ids = Array.from({ length: PROFILES }, () => randomUUID());
    const snapshot = (id: string, i: number) => ({
      profileId: id,
      externalId: null,
      properties: { first_name: `Customer ${i}` },
      attributes: { email: true as const, phone: null, name: `Customer ${i}`, timeZone: null, locale: null, createdAt: '2026-01-01T00:00:00.000Z', emailSubscribed: true, smsSubscribed: null, pushSubscribed: null, whatsappSubscribed: null, phoneDnd: null },
      contact: { email: `customer-${i}@d${i % DOMAINS}.bench.test`, phone: null },
      updatedAt: new Date().toISOString(),
    });
    for (let i = 0; i < ids.length; i += 500) await Promise.all(ids.slice(i, i + 500).map((id, k) => publish(ProfileChanged, snapshot(id, i + k))));
    for (let i = 0; i < ids.length; i += 10_000) await seedKnownProfiles(campaigns, projectId, ids.slice(i, i + 10_000));
    for (;;) {
      if ((await countIn(emailDb, `SELECT count(*)::int AS count FROM email_profile WHERE project_id = $1`, [projectId])) === PROFILES) break;
      await sleep(500);
    }
    // Campaigns reads the same ProfileChanged (zones): its consumer's catching up is setup, not the fan-out.
    const emailCaughtUp = performance.now();
    for (;;) {
      const info = await messaging.jsm.consumers.info(messaging.subjects.streamName('profiles'), PROFILE_ZONES_DURABLE);
      if (info.num_pending === 0 && info.num_ack_pending === 0) break;
      await sleep(500);
    }
    const zonesLag = (performance.now() - emailCaughtUp) / 1000;

    // 1. The campaign, the sink keeping what it receives.
    const created = await campaigns.query<{ createCampaign: { id: string } }>(
      `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`,
      { input: { name: 'New arrivals', channel: 'EMAIL', audience: { everyone: true }, email: { templateId: template.data!.createEmailTemplate.id, templateVersion: 1 } } },
      caller,
    );
    if (created.errors) throw new Error(JSON.stringify(created.errors));
    const campaignId = created.data!.createCampaign.id;
    await sink.reset();
    // CPU seconds of each part while the campaign runs (PostgreSQL and NATS are shared with whatever else runs here: the machine's total says how busy it was).
    const cpuNow = () => ({ email: processCpuSeconds(email.process.pid!), campaigns: processCpuSeconds(process.pid), sink: processCpuSeconds(sink.pid), machine: machineBusySeconds() });
    const cpuBefore = cpuNow();
    // Per group (each app, the PostgreSQL backends serving each, NATS, PostgreSQL's background), rescanned as pools open connections.
    const database = new URL(TEST_DATABASE_URL);
    const sampler = cpuSampler(async () => {
      const groups = await processGroups(emailDb, database.pathname.slice(1), Number(database.port || 5432), 'campaigns + bench');
      groups.set(sink.pid, 'smtp sink');
      return groups;
    });
    await sampler.start();
    const loadAtStart = loadavg()[0]!;
    const started = performance.now();
    const run = await campaigns.query(`mutation($id: ID!) { updateCampaignStatus(id: $id, status: RUNNING) { status } }`, { id: campaignId }, caller);
    if (run.errors) throw new Error(JSON.stringify(run.errors));
    let decidedAt = 0;
    let relayedAt = 0;
    let takenInAt = 0;
    const decided = (async () => {
      const db = campaigns.app.get(DataSource);
      for (;;) {
        const [{ done }] = (await db.query(`SELECT count(*)::int AS done FROM campaign_occurrence WHERE campaign_id = $1 AND status = 'done'`, [campaignId])) as [{ done: number }];
        if (done === 1) break;
        await sleep(100);
      }
      decidedAt = performance.now();
      // The outbox relay deletes the rows it has published to JetStream.
      for (;;) {
        const [{ left }] = (await db.query(`SELECT count(*)::int AS left FROM outbox`)) as [{ left: number }];
        if (left === 0) return (relayedAt = performance.now());
        await sleep(100);
      }
    })();
    const intake = (async () => {
      for (;;) {
        if ((await countIn(emailDb, `SELECT count(*)::int AS count FROM email_send WHERE project_id = $1`, [projectId])) === PROFILES) return (takenInAt = performance.now());
        await sleep(200);
      }
    })();
    await sink.untilReceived(PROFILES);
    await Promise.all([decided, intake]);
    const pipelineSeconds = (performance.now() - started) / 1000;
    const cpuAfter = cpuNow();
    const groupCpu = [...(await sampler.stop())].sort(([, a], [, b]) => b - a);
    const perEmail = (seconds: number) => ((seconds * 1000) / PROFILES).toFixed(3);
    const cpu = (part: keyof typeof cpuBefore) => `${(cpuAfter[part] - cpuBefore[part]).toFixed(1)} s (${(((cpuAfter[part] - cpuBefore[part]) / pipelineSeconds) * 100).toFixed(0)} % of a core)`;
    const file = join(dir, 'messages.jsonl');
    await sink.dump(file);

    // 2. Bare nodemailer: the same messages, pre-rendered, through a pool of the same size.
    const messages: { from: string; to: string[]; raw: string }[] = [];
    for await (const line of createInterface({ input: createReadStream(file) })) messages.push(JSON.parse(line));
    await sink.reset();
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sinkPort, secure: false, ignoreTLS: true, pool: true, maxConnections: CONNECTIONS, maxMessages: Infinity });
    const bareStarted = performance.now();
    await Promise.all(messages.map((message) => transport.sendMail({ envelope: { from: message.from, to: message.to }, raw: message.raw })));
    await sink.untilReceived(messages.length);
    const bareSeconds = (performance.now() - bareStarted) / 1000;
    transport.close();

    const rate = PROFILES / pipelineSeconds;
    const bareRate = messages.length / bareSeconds;
    console.log(`
campaign fan-out bench: one-time EMAIL campaign to ${PROFILES} profiles (everyone), ${CONNECTIONS} SMTP connections, ${DOMAINS} recipient domains
  campaign start → last SMTP accept          ${pipelineSeconds.toFixed(2)} s  ${rate.toFixed(0)} emails/s 
                                             (every decision recorded after ${((decidedAt - started) / 1000).toFixed(2)} s, every command on JetStream after ${((relayedAt - started) / 1000).toFixed(2)} s, all taken into email_send after ${((takenInAt - started) / 1000).toFixed(2)} s)
                                             CPU: email ${cpu('email')}, campaigns + bench ${cpu('campaigns')}, sink ${cpu('sink')}; machine busy ${cpu('machine')}
                                             CPU ms per email: ${groupCpu.map(([group, seconds]) => `${group} ${perEmail(seconds)}`).join(', ')}; machine ${perEmail(cpuAfter.machine - cpuBefore.machine)}
                                             load average ${loadAtStart.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}; campaigns' zones consumer had caught up with the profiles ${zonesLag.toFixed(1)} s after email's
  bare nodemailer pool, same raw messages    ${bareSeconds.toFixed(2)} s  ${bareRate.toFixed(0)} emails/s
  ratio campaign / bare                      ${(rate / bareRate).toFixed(2)}×  (goal ≥ 0.6×: ${rate / bareRate >= 0.6 ? 'met' : 'NOT met'})
`);
  } finally {
    await campaigns.close();
    await email.stop();
    await emailDb.end();
    await messaging.cleanup();
    sink.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'sink') runSmtpSink();
else
  await main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
