import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { EmailEngagement } from '@boomerang/contracts';
import { OutboxWriter, schemaOf, type Messaging } from '@boomerang/platform/messaging';
import { listenForNotifications, type NotificationListener } from '@boomerang/platform/persistence';
import type { Logger } from '@boomerang/platform/observability';
import { LOGGER, MESSAGING } from '@boomerang/platform/subgraph';
import { EMAIL_CONFIG, type EmailConfig } from '../email-config.js';
import type { EmailProfileEntity } from '../profiles/email-profile.entity.js';
import { Suppressions } from '../suppressions/suppressions.js';
import { ComposeError, personalizationScopeJson } from '../templates/recipient-copy.js';
import { EmailTemplateVersionEntity } from '../templates/email-template-version.entity.js';
import { composable } from '../templates/email-template.service.js';
import { CoalescedCalls } from './coalesced-calls.js';
import { DomainThrottle } from './domain-throttle.js';
import { keyedStatementPool } from './keyed-statements.js';
import { SmtpGate } from './smtp-gate.js';
import type { RenderedMessage } from './message-render.js';
import { RenderThreads, RenderThreadStopped } from './render-threads.js';
import { SenderSettingsService, type SendingProfile } from './sender-settings.service.js';
import { domainOf, normalizeAddress, skipReason } from './send-eligibility.js';
import { classifySmtpError, retryDelayMs } from './smtp-outcome.js';
import { SmtpTransports } from './smtp-transports.js';
import { TrackingUrls } from '../tracking/tracking-urls.js';

/** Rounds claimed at once (each EMAIL_SEND_BATCH sends); see `rounds()`. */
const ROUNDS_AHEAD = 4;

/** What one attempt came to, recorded in one transaction with the events it publishes. */
type AttemptResult =
  | { status: 'sent'; toAddress: string; smtpResponse: string }
  /** The claim was lost before SMTP (another dispatcher took it over): record nothing. */
  | { status: 'abandoned' }
  | { status: 'skipped'; reason: string; toAddress: string | null }
  | { status: 'failed'; reason: string; toAddress: string | null; hardBounce?: boolean }
  | { status: 'deferred'; reason: string; toAddress: string | null };

type RecordedResult = Exclude<AttemptResult, { status: 'abandoned' }>;

/** A send as claimed, with what the checks and the render read of its recipient (read by the claim itself). */
interface ClaimedSend {
  id: string;
  projectId: string;
  templateId: string;
  templateVersion: number;
  profileId: string;
  campaignId: string | null;
  journeyId: string | null;
  /** The event's and the campaign's data as PostgreSQL wrote them (JSON texts): parsed by the render thread, not here. */
  eventJson: string;
  campaignJson: string;
  attempts: number;
  /** The claim's instant (ISO, UTC, as stored): the guard of its mark and result. */
  claimedAt: string;
  /** The profile as email knows it; null when unknown or erased. */
  recipient: (Pick<EmailProfileEntity, 'email' | 'emailSubscribed' | 'name' | 'timeZone' | 'locale'> & { propertiesJson: string }) | null;
  /** Whether the recipient's address is on the project's suppression list. */
  suppressed: boolean;
}

/** The template versions a round's sends need: `projectId:templateId:version` → the version (null: none). */
type RoundVersions = Map<string, EmailTemplateVersionEntity | null>;

interface InFlightMark {
  send: ClaimedSend;
  messageId: string;
  links: string[];
}

/**
 * Sends what the send commands queued (email_send_queue: a short row per send not yet settled, its
 * due time and its claim). Each round first settles dead claims (below), then claims due sends
 * (queued, deferred whose retry is due, or claimed ones whose dispatcher died before talking SMTP)
 * by committing a claim on their queue rows; then for each: the checks (profile known, has an
 * email, not unsubscribed, consent when the project requires it, address not suppressed), the
 * render, the pooled SMTP send paced per recipient domain, and the result with its events in one
 * transaction, guarded by the claim so a dispatcher that lost its lease cannot overwrite a newer
 * result.
 *
 * Exactly once: a command repeated is one row (idempotency key); a result recorded is never sent
 * again; and before each SMTP attempt the attempt itself is committed (`smtp_started_at`, the
 * Message-ID; its lease runs from then). A claim whose lease ran out without that mark never reached
 * SMTP and is sent again; one with it may have been accepted (SMTP has no way to ask), so it is
 * settled `uncertain` and never sent again.
 */
/** The channel on which a committed queue of sends wakes the dispatchers (every instance of the service). */
export const sendsQueuedChannel = (manager: EntityManager | DataSource): string => `${schemaOf(manager)}_email_send`;

@Injectable()
export class SendDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly throttle: DomainThrottle;
  private readonly gate: SmtpGate;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private again = false;
  private queuedListener?: NotificationListener;
  /** The marks and results of sends finishing together are committed together (one transaction each, not one per send). */
  private readonly inFlightMarks = new CoalescedCalls<InFlightMark, boolean>((marks) => this.markInFlight(marks));
  // Results need no quick answer (the SMTP result is in): gathered for up to 25 ms, so a round records them in a few transactions.
  private readonly results = new CoalescedCalls<{ send: ClaimedSend; result: RecordedResult }, void>((results) => this.record(results), { lingerMs: 25, maxBatch: 500 });
  /** Template versions never change once written: each is read once per process (bounded). */
  private readonly versions = new Map<string, EmailTemplateVersionEntity>();
  /** When dead claims were last settled (ms epoch): once per `rounds()` call and at most once a second while it keeps going. */
  private settledAt = 0;
  /** The connections of the claim, the mark, the results and the settling (`keyed-statements.ts`); opened by the first round. */
  private keyedPool?: pg.Pool;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(EMAIL_CONFIG) private readonly config: EmailConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly outbox: OutboxWriter,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    private readonly suppressions: Suppressions,
    private readonly renderer: RenderThreads,
    private readonly settings: SenderSettingsService,
    private readonly transports: SmtpTransports,
    private readonly urls: TrackingUrls,
  ) {
    this.throttle = new DomainThrottle({ perSecond: config.EMAIL_DOMAIN_RATE_PER_SECOND, concurrent: config.EMAIL_DOMAIN_MAX_CONCURRENT });
    // Two rounds' worth in SMTP at most (as when two rounds sent at once), refilled by a round when one is left.
    this.gate = new SmtpGate({ high: 2 * config.EMAIL_SEND_BATCH, low: config.EMAIL_SEND_BATCH });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.schedule(0);
    this.queuedListener = await listenForNotifications({
      connectionString: (this.dataSource.options as { url: string }).url,
      channel: sendsQueuedChannel(this.dataSource),
      applicationName: 'email-send-dispatcher',
      onNotify: () => this.wake(),
      onError: (error) => this.logger.warn({ err: error }, 'queued-sends listener failed; the poll goes on'),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.queuedListener?.close();
    await this.running;
    await this.keyedPool?.end();
    this.keyedPool = undefined;
  }

  /**
   * Runs one of the dispatcher's statements on its own connections, prepared once per connection
   * under `name` (its text never changes within a process): each round then skips parsing and,
   * once PostgreSQL settles on a generic plan, planning.
   */
  private async statement<Row>(name: string, text: string, values: unknown[]): Promise<Row[]> {
    return (await this.keyed.query<Row & pg.QueryResultRow>({ name: `email-send-${name}`, text, values })).rows;
  }

  /** The dispatcher's own connections, whose statements are planned by key (`keyed-statements.ts`). */
  private get keyed(): pg.Pool {
    this.keyedPool ??= keyedStatementPool(this.dataSource, {
      // The claim, a batch of marks, a batch of results and the settling can be under way at once.
      max: 4,
      applicationName: 'email-send-dispatcher',
      onError: (error) => this.logger.warn({ err: error }, 'a dispatcher connection failed; the next statement opens another'),
    });
    return this.keyedPool;
  }

  /**
   * Runs a round soon (new sends were queued). Called on the NOTIFY of a committed queue: a wake
   * from inside the queuing transaction could claim before the commit, find nothing, and leave
   * the send to the next poll a second later.
   */
  wake(): void {
    if (this.running) this.again = true;
    else this.schedule(20);
  }

  /** Runs rounds until nothing is due (tests and the bench call it to drain). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
    this.running = this.rounds();
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.running) return this.schedule(this.config.EMAIL_SEND_POLL_MS);
      this.running = this.rounds()
        .catch((error) => this.logger.error({ err: error }, 'send round failed'))
        .finally(() => {
          this.running = undefined;
          this.schedule(this.again ? 0 : this.config.EMAIL_SEND_POLL_MS);
          this.again = false;
        });
    }, delayMs);
  }

  /**
   * Up to four rounds at once: claimed and rendered ahead, so the pool never idles through a
   * claim; the gate lets two rounds' worth into SMTP (marked in flight) at a time.
   */
  private async rounds(): Promise<void> {
    const sending = new Set<Promise<void>>();
    try {
      this.settledAt = 0;
      while (!this.stopped) {
        if (Date.now() - this.settledAt >= 1000) {
          this.settledAt = Date.now();
          await this.settleDeadClaims();
        }
        const claimed = await this.claim();
        if (claimed.length === 0) return;
        const profiles = new Map<string, Promise<SendingProfile>>();
        const profileOf = (projectId: string) => {
          if (!profiles.has(projectId)) profiles.set(projectId, this.settings.sendingProfile(projectId));
          return profiles.get(projectId)!;
        };
        const versions = await this.factsOf(claimed);
        const round: Promise<void> = Promise.all(
          claimed.map((send) => this.attempt(send, profileOf, versions).catch((error) => this.logger.error({ err: error, sendId: send.id }, 'send attempt failed'))),
        ).then(() => void sending.delete(round));
        sending.add(round);
        if (sending.size >= ROUNDS_AHEAD) await Promise.race(sending);
      }
    } finally {
      await Promise.all(sending);
    }
  }

  /**
   * Attempts whose lease (from `smtp_started_at`) ran out while in flight: the server may have taken
   * the message before the dispatcher died. Sending again could deliver it twice, so each becomes
   * `uncertain` (reported in the send stats), never retried.
   */
  private async settleDeadClaims(): Promise<void> {
    const rows = await this.statement<{ id: string; project_id: string; message_id: string }>(
      'settle',
      `WITH dead AS (
         DELETE FROM email_send_queue q
         WHERE q.smtp_started_at < now() - make_interval(secs => $1::float8 / 1000)
           -- Implied (a claim precedes its attempt), and what the partial index on claimed_at finds.
           AND q.claimed_at < now() - make_interval(secs => $1::float8 / 1000)
         RETURNING q.send_id, q.attempts, q.claimed_at, q.smtp_started_at, q.message_id, q.links)
       UPDATE email_send e SET status = 'uncertain', attempts = d.attempts, claimed_at = d.claimed_at, smtp_started_at = d.smtp_started_at,
         message_id = d.message_id, links = coalesce(d.links, e.links), next_attempt_at = now(),
         reason = 'IN_FLIGHT_AT_CRASH: the dispatcher stopped during the SMTP attempt; whether the server accepted it is unknown, so it is not sent again'
       FROM dead d WHERE e.id = d.send_id
       RETURNING e.id, e.project_id, e.message_id`,
      [this.config.EMAIL_SEND_LEASE_MS],
    );
    if (rows.length > 0) this.logger.warn({ sends: rows.map((row) => ({ sendId: row.id, projectId: row.project_id, messageId: row.message_id })) }, 'sends in flight at a crash settled uncertain');
  }

  /**
   * Claims due sends and reads, in the same statement, what their checks and render need of each
   * recipient: the profile (known, not erased) and whether its address is suppressed.
   */
  private async claim(): Promise<ClaimedSend[]> {
    const rows = await this.statement<Record<string, unknown>>(
      'claim',
      `WITH claimed AS (
         -- A claim is due again when its lease runs out (without an SMTP attempt): sends in flight leave the head of the queue's walk.
         -- Only the queue's short row changes: the send's own row is read, not written, until its result.
         UPDATE email_send_queue q SET claimed_at = date_trunc('milliseconds', clock_timestamp()), attempts = q.attempts + 1,
           next_attempt_at = date_trunc('milliseconds', clock_timestamp()) + make_interval(secs => $2::float8 / 1000)
         WHERE q.send_id IN (
           -- One walk of email_send_queue_due in its order, stopping at the limit. A claim marked in flight is never claimed
           -- again: settled uncertain once its lease runs out (settleDeadClaims).
           SELECT send_id FROM email_send_queue
           WHERE next_attempt_at <= now() AND smtp_started_at IS NULL
           ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING q.send_id, q.attempts, q.claimed_at
       )
       SELECT c.id, c.project_id, c.template_id, c.template_version, c.profile_id, c.campaign_id, c.journey_id, c.event::text AS event, c.campaign::text AS campaign, q.attempts,
         to_char(q.claimed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS claimed_at,
         p.profile_id IS NOT NULL AS known, p.email, p.email_subscribed, p.name, p.time_zone, p.locale, p.properties::text AS properties,
         -- normalizeAddress's form for an ASCII address (lower() under "C" maps A-Z alone); others are looked up again (factsOf).
         EXISTS (
           SELECT FROM email_suppression x
           WHERE x.project_id = c.project_id AND x.address = lower(btrim(p.email, E' \\t\\n\\x0b\\f\\r') COLLATE "C") COLLATE "default"
         ) AS suppressed
       FROM claimed q JOIN email_send c ON c.id = q.send_id
       LEFT JOIN email_profile p ON p.project_id = c.project_id AND p.profile_id = c.profile_id AND NOT p.erased`,
      [this.config.EMAIL_SEND_BATCH, this.config.EMAIL_SEND_LEASE_MS],
    );
    return rows.map(claimedFromRow);
  }

  private async attempt(send: ClaimedSend, profileOf: (projectId: string) => Promise<SendingProfile>, versions: RoundVersions): Promise<void> {
    const result = await this.tryToSend(send, await profileOf(send.projectId), versions);
    if (result.status !== 'abandoned') await this.results.call({ send, result });
  }

  /**
   * The template versions a round's sends need (cached), and the suppression check of the few
   * recipients whose address the claim could not check (not ASCII: normalized here, by JS rules).
   */
  private async factsOf(claimed: readonly ClaimedSend[]): Promise<RoundVersions> {
    const versions: RoundVersions = new Map();
    const unchecked = new Map<string, ClaimedSend[]>();
    for (const send of claimed) {
      const address = send.recipient?.email;
      if (address && !ASCII.test(address)) unchecked.set(send.projectId, [...(unchecked.get(send.projectId) ?? []), send]);
      const key = `${send.projectId}:${send.templateId}:${send.templateVersion}`;
      if (!versions.has(key)) versions.set(key, await this.versionOf(send.projectId, send.templateId, send.templateVersion));
    }
    for (const [projectId, sends] of unchecked) {
      const suppressed = await this.suppressions.suppressedAmong(
        projectId,
        sends.map((send) => send.recipient!.email!),
      );
      for (const send of sends) send.suppressed = suppressed.has(normalizeAddress(send.recipient!.email!));
    }
    return versions;
  }

  private async versionOf(projectId: string, templateId: string, version: number): Promise<EmailTemplateVersionEntity | null> {
    const key = `${projectId}:${templateId}:${version}`;
    const cached = this.versions.get(key);
    if (cached) return cached;
    const found = await this.dataSource.getRepository(EmailTemplateVersionEntity).findOneBy({ templateId, version, projectId });
    // A missing version is not remembered: the send fails now, a later one may find it written.
    if (found) {
      if (this.versions.size >= 1000) this.versions.clear();
      this.versions.set(key, found);
    }
    return found;
  }

  private async tryToSend(send: ClaimedSend, sending: SendingProfile, versions: RoundVersions): Promise<AttemptResult> {
    const profile = send.recipient;
    const address = profile?.email ?? null;
    const reason = skipReason({ profile, suppressed: send.suppressed, consentRequired: sending.consentRequired });
    if (reason || !profile || !address) return { status: 'skipped', reason: reason ?? 'NO_EMAIL', toAddress: address };

    const version = versions.get(`${send.projectId}:${send.templateId}:${send.templateVersion}`) ?? null;
    if (!version) return { status: 'failed', reason: `TEMPLATE_VERSION_NOT_FOUND: ${send.templateId} v${send.templateVersion}`, toAddress: address };
    const messageId = `<${send.id}@${this.config.EMAIL_MESSAGE_ID_DOMAIN}>`;
    let message: RenderedMessage;
    try {
      // Liquid, tracking and the MIME build run in a render thread; this thread keeps to claims, PostgreSQL and NATS.
      message = await this.renderer.render({
        sendId: send.id,
        version: composable(version),
        scope: personalizationScopeJson({
          profile: { id: send.profileId, email: profile.email, name: profile.name, timeZone: profile.timeZone, locale: profile.locale },
          propertiesJson: profile.propertiesJson,
          eventJson: send.eventJson,
          campaignJson: send.campaignJson,
        }),
        trackingBaseUrl: this.urls.baseUrl,
        messageId,
        from: { name: version.fromName ?? sending.fromName ?? '', address: version.fromAddress ?? sending.fromAddress },
        to: address,
        replyTo: version.replyTo ?? sending.replyTo ?? null,
      });
    } catch (error) {
      // Out of time is no verdict on the template when the machine is busy: tried again later, failed once the attempts run out.
      if (error instanceof ComposeError && error.timedOut) return this.retryOrFail(send, `RENDER_FAILED: ${error.message}`, address);
      if (error instanceof ComposeError) return { status: 'failed', reason: `RENDER_FAILED: ${error.message}`, toAddress: address };
      // Nothing of it reached SMTP: tried again later, until the attempts run out (a message that kills its thread each time fails).
      if (error instanceof RenderThreadStopped) return this.retryOrFail(send, `RENDER_THREAD_STOPPED: ${error.message}`, address);
      throw error;
    }
    if (!sending.smtpUrl) return this.retryOrFail(send, 'NO_SMTP_SERVER: the project has no SMTP URL and there is no default', address);

    const leave = await this.gate.enter(send.projectId);
    const release = await this.throttle.acquire(domainOf(address)).catch((error: unknown) => {
      leave();
      throw error;
    });
    try {
      if (!(await this.inFlightMarks.call({ send, messageId, links: message.links }))) return { status: 'abandoned' };
      // VERP: bounces name the send in their envelope recipient. The bytes move to the SMTP thread (no copy).
      const info = await this.transports.sendRaw(send.projectId, { ...sending, smtpUrl: sending.smtpUrl }, { from: this.urls.returnPath(send.id), to: address, messageId, raw: message.raw }, { transfer: true });
      return { status: 'sent', toAddress: address, smtpResponse: (info.response ?? '').slice(0, 500) };
    } catch (error) {
      const outcome = classifySmtpError(error);
      if (outcome.kind === 'reject') return { status: 'failed', reason: `SMTP_REJECTED: ${outcome.detail}`, toAddress: address, hardBounce: outcome.hardBounce };
      return this.retryOrFail(send, `SMTP_UNAVAILABLE: ${outcome.detail}`, address);
    } finally {
      release();
      leave();
    }
  }

  /**
   * Commits that these SMTP attempts start (with their Message-IDs and the messages' URLs, the only
   * places their click tokens redirect to); the in-flight lease runs from `smtp_started_at`. Per
   * mark, false when the claim is no longer this dispatcher's. From here on a crash leaves the send
   * `uncertain`.
   */
  private async markInFlight(marks: InFlightMark[]): Promise<boolean[]> {
    // On the queue's row, and no indexed column changes (the claim, claimed_at, stays the result's guard): a HOT update, in place on its page.
    const rows = await this.statement<{ id: string }>(
      'mark',
      `UPDATE email_send_queue q SET smtp_started_at = date_trunc('milliseconds', clock_timestamp()), message_id = m.message_id, links = m.links
       FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::jsonb[]) AS m(id, claimed_at, message_id, links)
       WHERE q.send_id = m.id AND q.claimed_at = m.claimed_at
       RETURNING q.send_id AS id`,
      [marks.map(({ send }) => send.id), marks.map(({ send }) => send.claimedAt), marks.map((mark) => mark.messageId), marks.map((mark) => JSON.stringify(mark.links))],
    );
    const marked = new Set(rows.map((row) => row.id));
    return marks.map(({ send }) => marked.has(send.id));
  }

  private retryOrFail(send: ClaimedSend, reason: string, toAddress: string): AttemptResult {
    if (send.attempts >= this.config.EMAIL_SEND_MAX_ATTEMPTS) return { status: 'failed', reason: `${reason} (after ${send.attempts} attempts)`, toAddress };
    return { status: 'deferred', reason, toAddress };
  }

  /**
   * Records results with their events in one statement (a data-modifying CTE: the queue rows'
   * removal, or for a deferred send its retry time; the results' UPDATE, which carries the attempt's
   * claim, mark and links over from the queue; the outbox INSERT of the events of the results it
   * recorded; and a hard bounce's address added to the suppression list), each guarded by its claim (a dispatcher that lost a lease records nothing
   * for it). The events' bodies are built by PostgreSQL from the recorded rows (`ENGAGEMENT_BODY`),
   * so none is built, validated and serialized here and sent back as text.
   */
  private async record(results: { send: ClaimedSend; result: RecordedResult }[]): Promise<void[]> {
    const column = <T>(value: (entry: { send: ClaimedSend; result: RecordedResult }) => T) => results.map(value);
    const projects = [...new Set(results.map(({ send }) => send.projectId))];
    const bounces = results.filter(({ result }) => result.status === 'failed' && result.hardBounce && result.toAddress);
    const params: unknown[] = [
      column(({ send }) => send.id),
      column(({ send }) => send.claimedAt),
      column(({ result }) => result.status),
      column(({ result }) => (result.status === 'sent' ? null : result.reason)),
      column(({ result }) => result.toAddress),
      column(({ result }) => (result.status === 'sent' ? result.smtpResponse : null)),
      column(({ send, result }) =>
        result.status === 'deferred' ? new Date(Date.now() + retryDelayMs(send.attempts, this.config.EMAIL_RETRY_BASE_MS, this.config.EMAIL_RETRY_MAX_MS)).toISOString() : null,
      ),
      column(({ result }) => result.status === 'failed' && result.hardBounce === true),
      new Date().toISOString(),
      projects,
      projects.map((projectId) => this.messaging.subjects.subject(EmailEngagement, projectId)),
      bounces.map(({ send }) => send.id),
      bounces.map(({ result }) => normalizeAddress(result.toAddress!)),
    ];
    // Only the events of the results recorded: another dispatcher took a send over after this one's lease ran out, and its result stands.
    await this.statement(
      'record',
      `WITH r AS (
        SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::bool[])
          WITH ORDINALITY AS r(id, claimed_at, status, reason, to_address, smtp_response, next_attempt_at, hard_bounce, ord)
      ), settled AS (
        -- A final result leaves the queue; a deferred send waits in it for its retry, unclaimed.
        DELETE FROM email_send_queue q USING r WHERE q.send_id = r.id AND q.claimed_at = r.claimed_at AND r.status <> 'deferred'
        RETURNING q.send_id, q.attempts, q.claimed_at, q.smtp_started_at, q.message_id, q.links
      ), retried AS (
        UPDATE email_send_queue q SET next_attempt_at = r.next_attempt_at, claimed_at = NULL, smtp_started_at = NULL
        FROM r WHERE q.send_id = r.id AND q.claimed_at = r.claimed_at AND r.status = 'deferred'
        RETURNING q.send_id, q.attempts, r.claimed_at, NULL::timestamptz AS smtp_started_at, q.message_id, q.links
      ), recorded AS (
        -- No index covers what changes here: a HOT update of the send's row, in place on its page.
        UPDATE email_send e SET status = r.status, reason = r.reason, to_address = r.to_address, smtp_response = r.smtp_response,
          sent_at = CASE WHEN r.status = 'sent' THEN clock_timestamp() ELSE e.sent_at END,
          next_attempt_at = coalesce(r.next_attempt_at, e.next_attempt_at), attempts = q.attempts, claimed_at = q.claimed_at,
          smtp_started_at = coalesce(q.smtp_started_at, e.smtp_started_at), message_id = coalesce(q.message_id, e.message_id), links = coalesce(q.links, e.links)
        FROM (SELECT * FROM settled UNION ALL SELECT * FROM retried) q JOIN r ON r.id = q.send_id
        WHERE e.id = q.send_id
        RETURNING e.id, e.project_id, e.profile_id, e.template_id, e.template_version, e.campaign_id, e.journey_id, r.status, r.reason, r.smtp_response, r.hard_bounce, r.ord
      ), facts AS (
        SELECT s.*, CASE s.status WHEN 'sent' THEN 'Email Sent' WHEN 'skipped' THEN 'Email Skipped' WHEN 'failed' THEN CASE WHEN s.hard_bounce THEN 'Email Bounced' ELSE 'Email Failed' END END AS event
        FROM recorded s WHERE s.status <> 'deferred'
      ), events AS (
        SELECT p.subject, f.project_id, ${ENGAGEMENT_BODY} AS body, 'email:' || f.id || ':' || f.event AS msg_id, f.ord
        FROM facts f JOIN unnest($10::uuid[], $11::text[]) AS p(project_id, subject) ON p.project_id = f.project_id
      ), queued AS (${this.outbox.insertSql(this.dataSource, 'events')}
      ), suppressed AS (
        -- The first reason an address was suppressed for stays (as Suppressions.add).
        INSERT INTO email_suppression (project_id, address, reason, detail)
        SELECT s.project_id, b.address, 'hard_bounce', s.reason FROM recorded s JOIN unnest($12::uuid[], $13::text[]) AS b(id, address) ON b.id = s.id
        ON CONFLICT DO NOTHING
      )
      SELECT count(*) FROM recorded`,
      params,
    );
    return results.map(() => undefined);
  }
}

/** The properties of an engagement event of `facts` f, with `extra` (`, 'key', value` pairs) after the send's own. */
const engagementProperties = (extra = '') =>
  `json_build_object('sendId', f.id, 'templateId', f.template_id, 'templateVersion', f.template_version, 'campaignId', f.campaign_id, 'journeyId', f.journey_id${extra})`;

/** What every engagement body of `facts` f starts with (`$9`: the instant). */
const ENGAGEMENT_FACT = `'projectId', f.project_id, 'occurredAt', $9::text, 'profileId', f.profile_id, 'at', $9::text, 'messageId', 'email:' || f.id || ':' || f.event, 'event', f.event`;

/**
 * One EmailEngagement per recorded result that reports anything (`facts` f: its event and row; `$9`
 * the instant): `Email Sent` carries `Email Delivered` (the server's answer) in `also`; a skip or
 * failure its reason, a hard bounce `bounceType`. Built as json, not jsonb: the outbox stores json,
 * and a jsonb body (keys sorted, then written out again as text) cost PostgreSQL 30 µs an event
 * against 17. Checked against the contract by the specs (`email-sending.integration-spec.ts`
 * validates every body it reads).
 */
const ENGAGEMENT_BODY = `CASE WHEN f.status = 'sent' THEN json_build_object(${ENGAGEMENT_FACT}, 'properties', ${engagementProperties()},
    'also', json_build_array(json_build_object(
      'messageId', 'email:' || f.id || ':Email Delivered', 'event', 'Email Delivered', 'properties', ${engagementProperties(`, 'smtpResponse', f.smtp_response`)})))
  WHEN f.hard_bounce THEN json_build_object(${ENGAGEMENT_FACT}, 'properties', ${engagementProperties(`, 'reason', f.reason, 'bounceType', 'hard'`)})
  ELSE json_build_object(${ENGAGEMENT_FACT}, 'properties', ${engagementProperties(`, 'reason', f.reason`)}) END`;

/** Printable ASCII and blanks: the addresses the claim's suppression check normalizes exactly as `normalizeAddress` does. */
const ASCII = /^[\t\n\v\f\r -~]*$/;

function claimedFromRow(row: Record<string, unknown>): ClaimedSend {
  return {
    id: row.id as string,
    projectId: row.project_id as string,
    templateId: row.template_id as string,
    templateVersion: row.template_version as number,
    profileId: row.profile_id as string,
    campaignId: row.campaign_id as string | null,
    journeyId: row.journey_id as string | null,
    eventJson: row.event as string,
    campaignJson: row.campaign as string,
    attempts: row.attempts as number,
    claimedAt: row.claimed_at as string,
    recipient: row.known
      ? {
          email: row.email as string | null,
          emailSubscribed: row.email_subscribed as boolean | null,
          name: row.name as string | null,
          timeZone: row.time_zone as string | null,
          locale: row.locale as string | null,
          propertiesJson: row.properties as string,
        }
      : null,
    suppressed: row.suppressed as boolean,
  };
}
