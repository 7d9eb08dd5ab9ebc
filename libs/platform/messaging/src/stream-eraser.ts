import { createHash } from 'node:crypto';
import { DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { Domain } from '@boomerang/contracts';
import type { Logger } from '@boomerang/platform/observability';
import type { DeadLetter } from './consumer.js';
import { messageIdOf, MSG_ID_HEADER, REPLACES_HEADER } from './message-ids.js';
import type { Messaging } from './nats.js';
import { isStreamMissing } from './streams.js';

/**
 * What becomes of one stored message: kept; securely deleted; or replaced by a redacted copy (its
 * body text), published before the original is securely deleted.
 */
export type MessageErasure = 'keep' | 'delete' | { readonly redacted: string };

/** A stored message as an erasure decides on it. */
export interface StoredMessage {
  readonly subject: string;
  readonly projectId: string;
  /** The message kind: the subject after the project (`ingested`, `call.placed`). */
  readonly what: string;
  /** The body as published. */
  readonly text: string;
}

/** Erasing people's data from the messages of one domain, as the domain's owner does it. */
export interface DomainErasure {
  readonly domain: Domain;
  /** The projects of the people erased: the domain's stream is read one project's subjects at a time. */
  readonly projectIds: readonly string[];
  /** Decides for each message of those projects, on the stream and among the dead letters. */
  decide(message: StoredMessage): MessageErasure;
}

export interface ErasureCounts {
  scanned: number;
  deleted: number;
  redacted: number;
}

export interface DomainErasureReport {
  readonly stream: ErasureCounts;
  readonly deadLetters: ErasureCounts;
}

/** Messages per fetch while scanning (at most NATS' 1 MB payload each). */
const SCAN_BATCH = 32;
const SCAN_FETCH_EXPIRES_MS = 5_000;

/**
 * Removes personal data from JetStream for a GDPR erasure. It reads a stream (or one subject
 * filter of it) from its first message to the last one stored when the scan began, through an
 * ordered consumer, and applies a decision to each message: a message holding only the erased
 * people's data is deleted with secure erase (the server overwrites its bytes on disk); one that
 * also holds other people's data (a batch) is first republished as a redacted copy, then the
 * original is securely deleted.
 *
 * The copy carries `Boomerang-Replaces: <the original's id>`, which DurableConsumer takes as its
 * id: a consumer that handled the original skips it, one that had not handles it once. Its own
 * Nats-Msg-Id is derived from the original's id and the copy's body, so a retried erasure (after
 * a crash between publish and delete) republishes nothing within the duplicate window, and beyond
 * it a second copy is still handled once. Everything is idempotent: a rescan finds the copies
 * already redacted and the deleted messages gone.
 *
 * Cost: O(messages of the scanned subjects) per call, which is fine for a rare operation; callers
 * batch the erasures that arrive together into one call.
 */
export class StreamEraser {
  constructor(
    private readonly messaging: Pick<Messaging, 'js' | 'jsm' | 'subjects'>,
    private readonly logger: Logger,
  ) {}

  /**
   * The owner's erasure: its stream, each project's subjects in turn, then the dead letters that
   * carry its messages (whichever service's consumer gave up on them).
   */
  async eraseFromDomain(erasure: DomainErasure): Promise<DomainErasureReport> {
    const { subjects } = this.messaging;
    const projects = new Set(erasure.projectIds);
    const stream = emptyCounts();
    for (const projectId of projects) {
      const counts = await this.eraseFromStream(subjects.streamName(erasure.domain), `${subjects.prefix}${erasure.domain}.${projectId}.>`, (message) => {
        const parsed = subjects.parse(message.subject);
        return parsed ? erasure.decide({ subject: message.subject, projectId: parsed.projectId, what: parsed.what, text: message.string() }) : 'keep';
      });
      addCounts(stream, counts);
    }
    const deadLetters = await this.eraseFromStream(subjects.deadLetterStream, undefined, (message) => this.letterErasure(message, erasure, projects));
    this.logger.info({ domain: erasure.domain, projects: projects.size, stream, deadLetters }, 'erased people from the stream and its dead letters');
    return { stream, deadLetters };
  }

  /** Scans `stream` (only `filter` when given) from its first message to its last at the start, applying `decide` to each. */
  async eraseFromStream(stream: string, filter: string | undefined, decide: (message: JsMsg) => MessageErasure): Promise<ErasureCounts> {
    const counts = emptyCounts();
    const end = await this.lastSequence(stream, filter);
    if (end === undefined) return counts;
    const consumer = await this.messaging.js.consumers.get(stream, { ...(filter ? { filter_subjects: filter } : {}), deliver_policy: DeliverPolicy.All });
    try {
      for (let done = false; !done; ) {
        let received = 0;
        for await (const message of await consumer.fetch({ max_messages: SCAN_BATCH, expires: SCAN_FETCH_EXPIRES_MS })) {
          received++;
          counts.scanned++;
          await this.apply(stream, message, decide(message), counts);
          // Copies published by this scan land after `end`: they were decided on already.
          if (message.info.pending === 0 || message.info.streamSequence >= end) {
            done = true;
            break;
          }
        }
        if (received === 0) done = true;
      }
    } finally {
      await consumer.delete().catch(() => undefined);
    }
    return counts;
  }

  /** The stream's last sequence when something matches `filter`, else undefined (nothing to scan, or no stream). */
  private async lastSequence(stream: string, filter: string | undefined): Promise<number | undefined> {
    try {
      const { state } = await this.messaging.jsm.streams.info(stream, filter ? { subjects_filter: filter } : undefined);
      const matching = filter ? Object.values(state.subjects ?? {}).reduce((sum, count) => sum + count, 0) : state.messages;
      return matching > 0 ? state.last_seq : undefined;
    } catch (error) {
      if (isStreamMissing(error)) return undefined;
      throw error;
    }
  }

  private async apply(stream: string, message: JsMsg, erasure: MessageErasure, counts: ErasureCounts): Promise<void> {
    if (erasure === 'keep') return;
    if (erasure === 'delete') counts.deleted++;
    else {
      await this.publishRedacted(message, erasure.redacted);
      counts.redacted++;
    }
    await this.secureDelete(stream, message.info.streamSequence);
  }

  private async publishRedacted(original: JsMsg, text: string): Promise<void> {
    const copyHeaders = headers();
    copyHeaders.set(REPLACES_HEADER, messageIdOf(original.headers, original.info.streamSequence));
    const originalId = original.headers?.get(MSG_ID_HEADER) || `seq-${original.info.streamSequence}`;
    await this.messaging.js.publish(original.subject, text, { headers: copyHeaders, msgID: redactedCopyId(originalId, text) });
  }

  /** Deletes with erase: JetStream overwrites the message's bytes on disk. Already gone (a rescan) is done. */
  private async secureDelete(stream: string, sequence: number): Promise<void> {
    try {
      await this.messaging.jsm.streams.deleteMessage(stream, sequence, true);
    } catch (error) {
      if (!/no message found/i.test(String((error as Error)?.message))) throw error;
    }
  }

  /** A dead letter is decided on by the message it carries; a redacted letter keeps everything but the payload. */
  private letterErasure(message: JsMsg, erasure: DomainErasure, projects: ReadonlySet<string>): MessageErasure {
    let letter: DeadLetter;
    try {
      letter = message.json<DeadLetter>();
    } catch {
      return 'keep';
    }
    const parsed = typeof letter?.subject === 'string' ? this.messaging.subjects.parse(letter.subject) : undefined;
    if (!parsed || parsed.domain !== erasure.domain || !projects.has(parsed.projectId) || typeof letter.payload !== 'string') return 'keep';
    const decided = erasure.decide({ subject: letter.subject, projectId: parsed.projectId, what: parsed.what, text: letter.payload });
    return typeof decided === 'string' ? decided : { redacted: JSON.stringify({ ...letter, payload: decided.redacted }) };
  }
}

/** The Nats-Msg-Id of a redacted copy: the same for the same original and body, so a retried erasure is deduplicated. */
export function redactedCopyId(originalId: string, text: string): string {
  return `redacted:${createHash('sha256').update(originalId).update('\0').update(text).digest('base64url')}`;
}

const emptyCounts = (): ErasureCounts => ({ scanned: 0, deleted: 0, redacted: 0 });

function addCounts(total: ErasureCounts, counts: ErasureCounts): void {
  total.scanned += counts.scanned;
  total.deleted += counts.deleted;
  total.redacted += counts.redacted;
}
