// Benchmark: email sending. 20,000 personalized MJML emails (Liquid over the profile and the
// triggering event, tracked links, List-Unsubscribe, Gmail JSON-LD) go through the real pipeline:
// EmailSendRequested commands on JetStream → email_send → the dispatcher (checks, render, pooled
// SMTP, result and engagement events committed) → a local SMTP sink. The baseline, in the same run
// and to the same sink, is bare nodemailer with the same pool size sending the very messages the
// pipeline produced (raw, pre-rendered). Goal: ≥ 0.7× the bare rate and ≥ 500 emails/s.
// The email app runs in this process (its own schema and NATS prefix); the sink in a child process
// that counts and keeps the raw messages (in every run, so each side pays the same sink; the first
// run's are the baseline's input).
// Knobs: BENCH_EMAILS (20000), BENCH_CONNECTIONS (pool size of both, 10), BENCH_DOMAINS (recipient
// domains, 50: the per-domain pacing, 200/s each by default, stays what production would apply).
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { EmailSendRequested, ProfileChanged, type MessageContract, type MessageOf } from '@boomerang/contracts';
import { domainStreamConfig } from '@boomerang/platform/messaging';
import { secretKeyCaller, startTestSubgraph } from '@boomerang/platform/testing';
import { runSmtpSink, startSmtpSink } from './smtp-sink.js';
import { machineBusySeconds, processCpuSeconds, programCpuSeconds } from './support.js';

const EMAILS = Number(process.env.BENCH_EMAILS ?? 20_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const DOMAINS = Number(process.env.BENCH_DOMAINS ?? 50);

const MJML = `<mjml><mj-head><mj-title>{{ profile.first_name | default: "Hi" }}</mj-title></mj-head><mj-body>
<mj-section><mj-column><mj-image src="https://brand.example/logo.png" width="120px" />
<mj-text font-size="18px">Hello {{ profile.first_name | default: "there" }},</mj-text>
<mj-text>Your {{ event.item }} ({{ event.price }} {{ event.currency }}) is still in your cart.{% if profile.tier == "gold" %} Gold members ship free.{% endif %}</mj-text>
<mj-button href="https://shop.example/cart?p={{ profile.id }}">Back to the cart</mj-button>
<mj-text>Or browse <a href="https://shop.example/new">what is new</a>.</mj-text></mj-column></mj-section></mj-body></mjml>`;

const cpuSeconds = ({ user, system }: NodeJS.CpuUsage) => (user + system) / 1e6;

/** CPU seconds of each part of the machine so far: this process (bench and email app), the sink, PostgreSQL, NATS, and all cores. */
const partsCpu = (sinkPid: number) => ({
  process: processCpuSeconds(process.pid),
  sink: processCpuSeconds(sinkPid),
  postgres: programCpuSeconds('postgres'),
  nats: programCpuSeconds('nats-server'),
  machine: machineBusySeconds(),
});
type PartsCpu = ReturnType<typeof partsCpu>;
/** Milliseconds of CPU per email of each part between two readings. */
const perEmail = (before: PartsCpu, after: PartsCpu, emails: number) =>
  (Object.keys(before) as (keyof PartsCpu)[]).map((part) => `${part} ${(((after[part] - before[part]) * 1000) / emails).toFixed(3)}`).join(', ');

// Statements this process sends to PostgreSQL (the app's pool, its relay and consumers; BEGIN and COMMIT count).
let statements = 0;
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

async function main(): Promise<void> {
  const sink = await startSmtpSink(process.argv[1]!);
  const sinkPort = sink.port;
  const dir = await mkdtemp(join(tmpdir(), 'bench-email-'));

  // Production pacing and batch; only the dispatcher's idle poll is shortened (it is woken by commands anyway).
  process.env.EMAIL_SEND_POLL_MS = '100';
  process.env.EMAIL_MESSAGE_ID_DOMAIN = 'bench.test';
  const sut = await startTestSubgraph(() => import('../../apps/email/src/app.module.js').then((m) => m.AppModule), { service: 'email' });
  try {
    const db = sut.app.get(DataSource);
    await sut.messaging.jsm.streams.add(domainStreamConfig(sut.messaging.subjects, 'profiles'));
    const projectId = randomUUID();
    const caller = secretKeyCaller(projectId);
    const publish = <C extends MessageContract>(contract: C, body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>) =>
      sut.messaging.js.publish(sut.messaging.subjects.subject(contract, projectId), JSON.stringify({ projectId, occurredAt: new Date().toISOString(), ...body }), {
        msgID: randomUUID(),
      });
    const settings = await sut.query(`mutation($input: SenderSettingsInput!) { setEmailSenderSettings(input: $input) { smtpConfigured } }`, {
      input: { smtpUrl: `smtp://127.0.0.1:${sinkPort}`, fromAddress: 'news@brand.example', fromName: 'Brand', maxConnections: CONNECTIONS },
    }, caller);
    if (settings.errors) throw new Error(JSON.stringify(settings.errors));
    const created = await sut.query<{ createEmailTemplate: { id: string } }>(
      `mutation($input: CreateEmailTemplateInput!) { createEmailTemplate(input: $input) { id } }`,
      {
        input: {
          name: 'Cart reminder',
          format: 'MJML',
          subject: '{{ profile.first_name | default: "Hi" }}, your {{ event.item }} is waiting',
          preheader: 'Still {{ event.price }} {{ event.currency }}',
          htmlBody: MJML,
          promotion: { logoUrl: 'https://brand.example/logo.png', offer: { description: '10% off', discountCode: 'CART10' } },
        },
      },
      caller,
    );
    if (created.errors) throw new Error(JSON.stringify(created.errors));
    const templateId = created.data!.createEmailTemplate.id;

    // The audience: email's projection learns the profiles from ProfileChanged, as in production.
    const profiles = Array.from({ length: EMAILS }, (_, i) => ({ id: randomUUID(), i }));
    const snapshot = (id: string, i: number) => ({
      profileId: id,
      externalId: null,
      properties: { first_name: `Customer ${i}`, tier: i % 3 === 0 ? 'gold' : 'basic' },
      attributes: { email: true as const, phone: null, name: `Customer ${i}`, timeZone: null, locale: null, createdAt: '2026-01-01T00:00:00.000Z', emailSubscribed: true, smsSubscribed: null, pushSubscribed: null, whatsappSubscribed: null, phoneDnd: null },
      contact: { email: `customer-${i}@d${i % DOMAINS}.bench.test`, phone: null },
      updatedAt: new Date().toISOString(),
    });
    for (let i = 0; i < profiles.length; i += 500) await Promise.all(profiles.slice(i, i + 500).map(({ id, i: n }) => publish(ProfileChanged, snapshot(id, n))));
    for (;;) {
      const [{ count }] = (await db.query(`SELECT count(*)::int AS count FROM email_profile WHERE project_id = $1`, [projectId])) as [{ count: number }];
      if (count === EMAILS) break;
      await sleep(200);
    }

    // 1. The pipeline, the sink keeping what it receives.
    await sink.reset();
    const started = performance.now();
    const cpuAtStart = process.cpuUsage();
    const partsAtStart = partsCpu(sink.pid);
    const statementsAtStart = statements;
    const loadAtStart = loadavg()[0]!;
    for (let i = 0; i < profiles.length; i += 500)
      await Promise.all(
        profiles.slice(i, i + 500).map(({ id, i: n }) =>
          publish(EmailSendRequested, {
            templateId,
            templateVersion: 1,
            profileId: id,
            campaignId: null,
            journeyId: null,
            idempotencyKey: `bench-${n}`,
            event: { item: `item ${n % 97}`, price: (n % 50) + 9.99, currency: 'EUR' },
          }),
        ),
      );
    const published = performance.now();
    // When every command had become an email_send row (the intake, measured beside the sending).
    let takenIn = 0;
    const intake = (async () => {
      for (;;) {
        const [{ count }] = (await db.query(`SELECT count(*)::int AS count FROM email_send WHERE project_id = $1`, [projectId])) as [{ count: number }];
        if (count === EMAILS) return (takenIn = performance.now());
        await sleep(50);
      }
    })();
    await sink.untilReceived(EMAILS);
    await intake;
    const pipelineSeconds = (performance.now() - started) / 1000;
    const pipelineCpu = cpuSeconds(process.cpuUsage(cpuAtStart));
    const pipelineParts = perEmail(partsAtStart, partsCpu(sink.pid), EMAILS);
    for (;;) {
      const [{ pending }] = (await db.query(`SELECT count(*) FILTER (WHERE status <> 'sent')::int AS pending FROM email_send WHERE project_id = $1`, [projectId])) as [{ pending: number }];
      if (pending === 0) break;
      await sleep(100);
    }
    const recordedSeconds = (performance.now() - started) / 1000;
    const pipelineStatements = statements - statementsAtStart;
    const file = join(dir, 'messages.jsonl');
    await sink.dump(file);

    // 2. Bare nodemailer: the same messages, pre-rendered, through a pool of the same size.
    const messages: { from: string; to: string[]; raw: string }[] = [];
    for await (const line of createInterface({ input: createReadStream(file) })) messages.push(JSON.parse(line));
    await sink.reset();
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sinkPort, secure: false, ignoreTLS: true, pool: true, maxConnections: CONNECTIONS, maxMessages: Infinity });
    const bareStarted = performance.now();
    const bareCpuAtStart = process.cpuUsage();
    const bareAtStart = partsCpu(sink.pid);
    await Promise.all(messages.map((message) => transport.sendMail({ envelope: { from: message.from, to: message.to }, raw: message.raw })));
    await sink.untilReceived(messages.length);
    const bareSeconds = (performance.now() - bareStarted) / 1000;
    const bareCpu = cpuSeconds(process.cpuUsage(bareCpuAtStart));
    const bareParts = perEmail(bareAtStart, partsCpu(sink.pid), messages.length);

    // 3. Bare nodemailer composing: the same rendered parts (subject, HTML, text, headers), MIME built by nodemailer per send.
    const parts = [];
    for (const message of messages) {
      const parsed = await simpleParser(message.raw);
      parts.push({
        envelope: { from: message.from, to: message.to },
        from: parsed.from!.value[0]!,
        to: message.to[0]!,
        subject: parsed.subject!,
        html: parsed.html as string,
        text: parsed.text!,
        messageId: parsed.messageId!,
        headers: {
          'X-Boomerang-Send-Id': parsed.headers.get('x-boomerang-send-id') as string,
          'List-Unsubscribe': parsed.headers.get('list-unsubscribe') ? (parsed.headerLines.find((line) => line.key === 'list-unsubscribe')!.line.slice('List-Unsubscribe: '.length)) : '',
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        },
      });
    }
    await sink.reset();
    const composedStarted = performance.now();
    const composedCpuAtStart = process.cpuUsage();
    await Promise.all(parts.map((part) => transport.sendMail(part)));
    await sink.untilReceived(parts.length);
    const composedSeconds = (performance.now() - composedStarted) / 1000;
    const composedCpu = cpuSeconds(process.cpuUsage(composedCpuAtStart));
    transport.close();
    const loadAtEnd = loadavg()[0]!;

    const size = messages.reduce((sum, message) => sum + message.raw.length, 0) / messages.length;
    const pipelineRate = EMAILS / pipelineSeconds;
    const bareRate = messages.length / bareSeconds;
    const composedRate = parts.length / composedSeconds;
    console.log(`
email send bench: ${EMAILS} personalized MJML emails, ${CONNECTIONS} SMTP connections, ${DOMAINS} recipient domains, mean message ${(size / 1024).toFixed(1)} KiB
  pipeline (commands → render → SMTP → recorded)  ${pipelineSeconds.toFixed(2)} s to the last message at the sink  ${pipelineRate.toFixed(0)} emails/s, ${pipelineCpu.toFixed(2)} CPU s in this process
                                                   (${(pipelineStatements / EMAILS).toFixed(2)} PostgreSQL statements per email from this process; commands published in ${((published - started) / 1000).toFixed(2)} s, all taken into email_send after ${((takenIn - started) / 1000).toFixed(2)} s; every send recorded sent after ${recordedSeconds.toFixed(2)} s)
                                                   (CPU ms per email: ${pipelineParts}; machine = every process and core)
  bare nodemailer pool, same raw messages         ${bareSeconds.toFixed(2)} s  ${bareRate.toFixed(0)} emails/s, ${bareCpu.toFixed(2)} CPU s
                                                   (CPU ms per email: ${bareParts})
  bare nodemailer pool, same parts, MIME built    ${composedSeconds.toFixed(2)} s  ${composedRate.toFixed(0)} emails/s, ${composedCpu.toFixed(2)} CPU s
  ratio pipeline / bare raw                       ${(pipelineRate / bareRate).toFixed(2)}×  (goal ≥ 0.7× and ≥ 500 emails/s: ${pipelineRate / bareRate >= 0.7 && pipelineRate >= 500 ? 'met' : 'NOT met'})
  ratio pipeline / bare composing                 ${(pipelineRate / composedRate).toFixed(2)}×
  load average (1 min) at the start / end         ${loadAtStart.toFixed(2)} / ${loadAtEnd.toFixed(2)}
`);
  } finally {
    await sut.close();
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
