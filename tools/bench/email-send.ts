// Benchmark: email sending. 20,000 personalized MJML emails (Liquid over the profile and the
// triggering event, tracked links, List-Unsubscribe, Gmail JSON-LD) go through the real pipeline:
// EmailSendRequested commands on JetStream → email_send → the dispatcher (checks, render, pooled
// SMTP, result and engagement events committed) → a local SMTP sink. The baseline, in the same run
// and to the same sink, is bare nodemailer with the same pool size sending the very messages the
// pipeline produced (raw, pre-rendered), from a fresh process of its own each round. Goal: ≥ 0.7× the
// bare rate and ≥ 500 emails/s.
// The email app runs from dist/ in a process of its own, as deployed (own schema and NATS prefix),
// while this process publishes the commands; the sink runs in a child process that counts and keeps the raw messages (in every run, so each side pays the same sink; the first
// run's are the baseline's input).
// Each side is timed after a warm-up of its own (BENCH_WARMUP emails, 5,000), as a long-running service is.
// The two sides alternate in BENCH_ROUNDS pairs (5), and the figure is the median of the pairs' ratios: this
// 2-core machine's pace drifts by a third within minutes, and a pair close in time sees the same machine.
// Knobs: BENCH_EMAILS (20000), BENCH_CONNECTIONS (pool size of both, 10), BENCH_DOMAINS (recipient
// domains, 50: the per-domain pacing, 200/s each by default, stays what production would apply), BENCH_WARMUP, BENCH_ROUNDS.
import { randomUUID } from 'node:crypto';
import { fork } from 'node:child_process';
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
import { EmailSendRequested, ProfileChanged, type MessageContract, type MessageOf } from '@boomerang/contracts';
import { applyOwnedStream, PubAckInbox } from '@boomerang/platform/messaging';
import { createTestMessaging, secretKeyCaller, TEST_DATABASE_URL, uniqueSubjectPrefix } from '@boomerang/platform/testing';
import { freePort } from '../dev/platform.mjs';
import { startDistSubgraph } from './dist-subgraph.js';
import { runSmtpSink, startSmtpSink } from './smtp-sink.js';
import { cpuByGroup, cpuSecondsIfAlive, machineBusySeconds, processGroups } from './support.js';

const EMAILS = Number(process.env.BENCH_EMAILS ?? 20_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const DOMAINS = Number(process.env.BENCH_DOMAINS ?? 50);
/** `BENCH_COMPOSING=0` leaves out the third part (bare nodemailer building the MIME), the longest under load. */
const COMPOSING = process.env.BENCH_COMPOSING !== '0';
/**
 * Emails each side sends before it is timed (`BENCH_WARMUP`, 5,000): the email app and the bare
 * client run their code cold until then, and V8 compiling it is a start-up cost a long-running
 * service does not pay per email. The pipeline's four isolates (main, render, SMTP threads) hold far
 * more code than the bare client: after 2,000 emails `--trace-opt` still showed 20–40 TurboFan
 * compiles a second through the first seconds of the timed run.
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5_000);
/** Pairs of runs (`BENCH_ROUNDS`, 5): pipeline then bare, each pair's ratio; the figure is their median. */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));

const MJML = `<mjml><mj-head><mj-title>{{ profile.first_name | default: "Hi" }}</mj-title></mj-head><mj-body>
<mj-section><mj-column><mj-image src="https://brand.example/logo.png" width="120px" />
<mj-text font-size="18px">Hello {{ profile.first_name | default: "there" }},</mj-text>
<mj-text>Your {{ event.item }} ({{ event.price }} {{ event.currency }}) is still in your cart.{% if profile.tier == "gold" %} Gold members ship free.{% endif %}</mj-text>
<mj-button href="https://shop.example/cart?p={{ profile.id }}">Back to the cart</mj-button>
<mj-text>Or browse <a href="https://shop.example/new">what is new</a>.</mj-text></mj-column></mj-section></mj-body></mjml>`;

const cpuSeconds = ({ user, system }: NodeJS.CpuUsage) => (user + system) / 1e6;

/** The CPU each group of processes used between `before` and now, in ms per email, largest first; the machine's total last. */
function cpuPerEmail(groups: Map<number, string>, before: { pids: Map<number, number>; machine: number }, emails: number): string {
  const used = [...cpuByGroup(groups, before.pids)].sort(([, a], [, b]) => b - a);
  const ms = (seconds: number) => ((seconds * 1000) / emails).toFixed(3);
  return [...used.map(([group, seconds]) => `${group} ${ms(seconds)}`), `machine ${ms(machineBusySeconds() - before.machine)}`].join(', ');
}
const cpuNow = (groups: Map<number, string>) => ({ pids: new Map([...groups.keys()].map((pid) => [pid, cpuSecondsIfAlive(pid) ?? 0])), machine: machineBusySeconds() });

async function main(): Promise<void> {
  const sink = await startSmtpSink(process.argv[1]!);
  const sinkPort = sink.port;
  const dir = await mkdtemp(join(tmpdir(), 'bench-email-'));

  const prefix = uniqueSubjectPrefix();
  const messaging = await createTestMessaging(prefix);
  // The stream profiles would declare (email reads ProfileChanged from it).
  await applyOwnedStream(messaging.jsm, messaging.subjects, 'profiles');
  // Email from dist/ in its own process, as deployed: the bench's command publishing (campaigns'
  // part in production) stays off the dispatcher's main thread.
  // Production pacing and batch; only the dispatcher's idle poll is shortened (it is woken by commands anyway).
  const email = await startDistSubgraph('email', { prefix, env: { EMAIL_SEND_POLL_MS: '100', EMAIL_MESSAGE_ID_DOMAIN: 'bench.test', EMAIL_BOUNCE_PORT: String(await freePort()) } });
  const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await db.connect();
  await db.query(`SET search_path TO "${email.schema}"`);
  try {
    const projectId = randomUUID();
    const caller = secretKeyCaller(projectId);
    const publish = <C extends MessageContract>(contract: C, body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>) =>
      messaging.js.publish(messaging.subjects.subject(contract, projectId), JSON.stringify({ projectId, occurredAt: new Date().toISOString(), ...body }), {
        msgID: randomUUID(),
      });
    const settings = await email.query(`mutation($input: SenderSettingsInput!) { setEmailSenderSettings(input: $input) { smtpConfigured } }`, {
      input: { smtpUrl: `smtp://127.0.0.1:${sinkPort}`, fromAddress: 'news@brand.example', fromName: 'Brand', maxConnections: CONNECTIONS },
    }, caller);
    if (settings.errors) throw new Error(JSON.stringify(settings.errors));
    const created = await email.query<{ createEmailTemplate: { id: string } }>(
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
      const [{ count }] = (await db.query(`SELECT count(*)::int AS count FROM email_profile WHERE project_id = $1`, [projectId])).rows as [{ count: number }];
      if (count === EMAILS) break;
      await sleep(200);
    }

    // The commands are what campaigns' outbox relay publishes in production: a batch at a time, the streams' acks
    // collected on one inbox (PubAckInbox, as the relay does), any not acked sent again through js.publish.
    const pubAcks = new PubAckInbox(messaging.nc, 10_000);
    const sendCommands = async (from: number, to: number, key: string) => {
      const commands = profiles.slice(from, to).map(({ id, i: n }) => ({
        subject: messaging.subjects.subject(EmailSendRequested, projectId),
        msgId: randomUUID(),
        body: JSON.stringify({
          projectId,
          occurredAt: new Date().toISOString(),
          templateId,
          templateVersion: 1,
          profileId: id,
          campaignId: null,
          journeyId: null,
          idempotencyKey: `${key}-${n}`,
          event: { item: `item ${n % 97}`, price: (n % 50) + 9.99, currency: 'EUR' },
        } satisfies MessageOf<typeof EmailSendRequested>),
      }));
      const acked = await pubAcks.publish(commands);
      await Promise.all(commands.filter((_, i) => !acked[i]).map((command) => messaging.js.publish(command.subject, command.body, { msgID: command.msgId })));
    };
    const recorded = async () => {
      for (;;) {
        const [{ pending }] = (await db.query(`SELECT count(*) FILTER (WHERE status <> 'sent')::int AS pending FROM email_send WHERE project_id = $1`, [projectId])).rows as [{ pending: number }];
        if (pending === 0) return;
        await sleep(100);
      }
    };

    // 0. The pipeline warmed up (its own sends, to the first profiles), every one recorded before the timed run.
    const warmup = Math.min(WARMUP, EMAILS);
    if (warmup > 0) {
      await sink.reset();
      for (let i = 0; i < warmup; i += 500) await sendCommands(i, Math.min(i + 500, warmup), 'warmup');
      await sink.untilReceived(warmup);
      await recorded();
    }
    // Who works during a run (looked up at its start: the pools' backends come and go): email's process and its PostgreSQL backends, the sink, NATS, this bench.
    const groupsNow = async () => {
      const groups = await processGroups(db, new URL(TEST_DATABASE_URL).pathname.slice(1), Number(new URL(TEST_DATABASE_URL).port || 5432));
      groups.set(sink.pid, 'smtp sink');
      return groups;
    };

    /** 1. The pipeline: EMAILS commands (keys of round `round`), the sink keeping what it receives (written to `file`). */
    const pipelineRound = async (round: number, file: string) => {
      await sink.reset();
      const groups = await groupsNow();
      const started = performance.now();
      const cpuAtStart = cpuNow(groups);
      for (let i = 0; i < profiles.length; i += 500) await sendCommands(i, i + 500, `bench-${round}`);
      const published = performance.now();
      // When every command had become an email_send row (the intake, measured beside the sending).
      let takenIn = 0;
      const intake = (async () => {
        for (;;) {
          const [{ count }] = (await db.query(`SELECT count(*)::int AS count FROM email_send WHERE project_id = $1`, [projectId])).rows as [{ count: number }];
          if (count === warmup + EMAILS * round) return (takenIn = performance.now());
          // Each count reads every row so far, on the server the pipeline uses: often enough for a figure in tenths of a second.
          await sleep(200);
        }
      })();
      await sink.untilReceived(EMAILS);
      await intake;
      const seconds = (performance.now() - started) / 1000;
      const cpu = cpuPerEmail(groups, cpuAtStart, EMAILS);
      await recorded();
      const recordedSeconds = (performance.now() - started) / 1000;
      await sink.dump(file);
      return { seconds, rate: EMAILS / seconds, cpu, published: (published - started) / 1000, takenIn: (takenIn - started) / 1000, recordedSeconds };
    };

    // 2. Bare nodemailer: the same messages, pre-rendered, through a pool of the same size, in a fresh process each round
    // (`runBareClient`), warmed up as the pipeline was: this process's heap, holding the runs' messages, would slow it unevenly.
    const bareRound = async (file: string, count: number) => {
      const child = fork(process.argv[1]!, ['bare', file, String(sinkPort), String(CONNECTIONS), String(warmup)], { stdio: 'inherit' });
      // Both answers listened for from the start: `done` may come before the sink's count says all arrived.
      const answer = (key: string) =>
        new Promise<Record<string, number>>((resolve, reject) => {
          const onMessage = (message: Record<string, number>) => {
            if (!(key in message)) return;
            child.off('message', onMessage);
            resolve(message);
          };
          child.on('message', onMessage);
          child.once('exit', (code) => reject(new Error(`bare client exited (${code}) before "${key}"`)));
        });
      const [ready, done] = [answer('ready'), answer('done')];
      // Neither is left unhandled while the other is awaited.
      done.catch(() => undefined);
      await sink.reset();
      await ready;
      await sink.reset();
      const bareGroups = new Map([...(await groupsNow()), [child.pid!, 'bare client']]);
      const started = performance.now();
      const cpuAtStart = cpuNow(bareGroups);
      child.send({ go: true });
      await sink.untilReceived(count);
      const seconds = (performance.now() - started) / 1000;
      const cpu = cpuPerEmail(bareGroups, cpuAtStart, count);
      const { cpuSeconds: ownCpu } = await done;
      return { seconds, rate: count / seconds, ownCpu: ownCpu!, cpu };
    };
    const readMessages = async (file: string) => {
      const messages: { from: string; to: string[]; raw: string }[] = [];
      for await (const line of createInterface({ input: createReadStream(file) })) messages.push(JSON.parse(line));
      return messages;
    };

    // Pipeline and bare alternate, ROUNDS pairs: the machine's drift (other work, its CPU's pace) reaches both sides of a pair alike.
    const loadAtStart = loadavg()[0]!;
    const pairs = [];
    let messages: { from: string; to: string[]; raw: string }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const file = join(dir, `messages-${round}.jsonl`);
      const pipeline = await pipelineRound(round, file);
      const bare = await bareRound(file, EMAILS);
      if (round === ROUNDS) messages = await readMessages(file);
      pairs.push({ pipeline, bare, ratio: pipeline.rate / bare.rate });
    }

    // 3. Bare nodemailer composing: the same rendered parts (subject, HTML, text, headers), MIME built by nodemailer per send.
    const parts = [];
    for (const message of COMPOSING ? messages : []) {
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
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sinkPort, secure: false, ignoreTLS: true, pool: true, maxConnections: CONNECTIONS, maxMessages: Infinity });
    await sink.reset();
    const composedStarted = performance.now();
    const composedCpuAtStart = process.cpuUsage();
    await Promise.all(parts.map((part) => transport.sendMail(part)));
    await sink.untilReceived(parts.length);
    const composedSeconds = (performance.now() - composedStarted) / 1000;
    const composedCpu = cpuSeconds(process.cpuUsage(composedCpuAtStart));
    transport.close();
    pubAcks.close();
    const loadAtEnd = loadavg()[0]!;

    const size = messages.reduce((sum, message) => sum + message.raw.length, 0) / messages.length;
    const median = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
    };
    const ratio = median(pairs.map((pair) => pair.ratio));
    const pipelineRate = median(pairs.map((pair) => pair.pipeline.rate));
    const composedRate = COMPOSING ? parts.length / composedSeconds : NaN;
    const rounds = pairs
      .map(
        ({ pipeline, bare, ratio: pairRatio }, n) => `  round ${n + 1}
    pipeline (commands → render → SMTP → recorded)  ${pipeline.seconds.toFixed(2)} s to the last message at the sink  ${pipeline.rate.toFixed(0)} emails/s
                                                   (commands published in ${pipeline.published.toFixed(2)} s, all taken into email_send after ${pipeline.takenIn.toFixed(2)} s; every send recorded sent after ${pipeline.recordedSeconds.toFixed(2)} s)
                                                   (CPU ms per email: ${pipeline.cpu}; machine = every process and core)
    bare nodemailer pool, same raw messages         ${bare.seconds.toFixed(2)} s  ${bare.rate.toFixed(0)} emails/s, ${bare.ownCpu.toFixed(2)} CPU s in its process
                                                   (CPU ms per email: ${bare.cpu})
    ratio pipeline / bare raw                       ${pairRatio.toFixed(2)}×`,
      )
      .join('\n');
    console.log(`
email send bench: ${EMAILS} personalized MJML emails, ${CONNECTIONS} SMTP connections, ${DOMAINS} recipient domains, mean message ${(size / 1024).toFixed(1)} KiB, each side timed after ${warmup} warm-up emails, ${ROUNDS} rounds of pipeline then bare
${rounds}
  bare nodemailer pool, same parts, MIME built    ${composedSeconds.toFixed(2)} s  ${composedRate.toFixed(0)} emails/s, ${composedCpu.toFixed(2)} CPU s in this process
  ratio pipeline / bare raw, median of rounds     ${ratio.toFixed(2)}× (${pairs.map((pair) => pair.ratio.toFixed(2)).join(' / ')})  (goal ≥ 0.7× and ≥ 500 emails/s: ${ratio >= 0.7 && pipelineRate >= 500 ? 'met' : 'NOT met'})
  ratio pipeline / bare composing (last round)    ${(pairs[pairs.length - 1]!.pipeline.rate / composedRate).toFixed(2)}×
  load average (1 min) at the start / end         ${loadAtStart.toFixed(2)} / ${loadAtEnd.toFixed(2)}
`);
  } finally {
    await db.end();
    await email.stop();
    await messaging.cleanup();
    sink.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The bare side's process: reads the round's messages, warms a pool up on the first `warmup` of them,
 * says `ready`, and on `go` sends them all, then reports its CPU seconds from `go` to the last accept.
 */
async function runBareClient([file, port, connections, warmupCount]: string[]): Promise<void> {
  const messages: { from: string; to: string[]; raw: string }[] = [];
  for await (const line of createInterface({ input: createReadStream(file!) })) messages.push(JSON.parse(line));
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: Number(port), secure: false, ignoreTLS: true, pool: true, maxConnections: Number(connections), maxMessages: Infinity });
  const send = (message: (typeof messages)[number]) => transport.sendMail({ envelope: { from: message.from, to: message.to }, raw: message.raw });
  await Promise.all(messages.slice(0, Number(warmupCount)).map(send));
  process.send!({ ready: 1 });
  await new Promise((resolve) => process.once('message', resolve));
  const cpuAtGo = process.cpuUsage();
  await Promise.all(messages.map(send));
  process.send!({ done: 1, cpuSeconds: cpuSeconds(process.cpuUsage(cpuAtGo)) });
  transport.close();
  process.disconnect();
}

if (process.argv[2] === 'sink') runSmtpSink();
else if (process.argv[2] === 'bare') await runBareClient(process.argv.slice(3));
else
  await main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
