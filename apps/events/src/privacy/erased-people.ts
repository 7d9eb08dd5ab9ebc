import type { IngestedEvent } from '@boomerang/contracts';
import type { FingerprintedIdentityKind, IdentityFingerprints, MessageErasure } from '@boomerang/platform/messaging';

/** One erased profile as events knows it: its id, the ids its links held, and the fingerprints profiles sent. */
export interface ErasedProfile {
  profileId: string;
  userIds: readonly string[];
  anonymousIds: readonly string[];
  /** ProfileDeleted.erasedIdentities. */
  fingerprints: readonly string[];
}

/** Fingerprints remembered per scan before starting over (a project's stream may hold millions of ids). */
const MAX_REMEMBERED_FINGERPRINTS = 100_000;

/**
 * The people one project is erasing, as they appear in the events this service announced. An
 * event is theirs when it names an erased profile, or carries one of their user or anonymous ids
 * (as `userId`, `anonymousId` or an alias' `previousId`: known from the links, or by fingerprint
 * when profiles knew an id events had not linked yet), or is an identify whose `email` or `phone`
 * trait is theirs (by fingerprint only: events never learns a profile's contact details). Device
 * ids alone do not count: a shared device names other people's events too.
 */
export class ErasedPeople {
  private readonly profileIds = new Set<string>();
  private readonly userIds = new Set<string>();
  private readonly anonymousIds = new Set<string>();
  private readonly erasedFingerprints = new Set<string>();
  private readonly remembered = new Map<string, string>();

  constructor(
    private readonly projectId: string,
    private readonly fingerprints: IdentityFingerprints,
  ) {}

  add(profile: ErasedProfile): this {
    this.profileIds.add(profile.profileId);
    for (const userId of profile.userIds) this.userIds.add(userId);
    for (const anonymousId of profile.anonymousIds) this.anonymousIds.add(anonymousId);
    for (const fingerprint of profile.fingerprints) this.erasedFingerprints.add(fingerprint);
    return this;
  }

  holds(event: IngestedEvent): boolean {
    if (event.profileId && this.profileIds.has(event.profileId)) return true;
    if (this.isErased('user_id', event.userId) || this.isErased('anonymous_id', event.anonymousId)) return true;
    if (event.previousId && (this.isErased('user_id', event.previousId) || this.isErased('anonymous_id', event.previousId))) return true;
    if (event.type !== 'identify' || !event.traits) return false;
    const { email, phone } = event.traits;
    return (typeof email === 'string' && this.isErased('email', email)) || (typeof phone === 'string' && this.isErased('phone', phone));
  }

  /**
   * What becomes of an EventsIngested message: kept when none of its events is theirs, deleted when
   * all are, else redacted to the others' events. A body that is not a batch of events is deleted
   * when its text names one of their ids.
   */
  erasureOf(text: string): MessageErasure {
    let body: { events?: unknown } | null;
    try {
      body = JSON.parse(text) as { events?: unknown } | null;
    } catch {
      body = null;
    }
    if (!Array.isArray(body?.events)) return this.named(text) ? 'delete' : 'keep';
    const events = body.events as IngestedEvent[];
    // A dead letter may hold a body its contract refused: an event that is no object is judged by its text.
    const kept = events.filter((event) => (typeof event === 'object' && event !== null ? !this.holds(event) : !this.named(JSON.stringify(event))));
    if (kept.length === events.length) return 'keep';
    if (kept.length === 0) return 'delete';
    return { redacted: JSON.stringify({ ...body, events: kept }) };
  }

  private isErased(kind: FingerprintedIdentityKind, value: string | null | undefined): boolean {
    if (!value) return false;
    if ((kind === 'user_id' && this.userIds.has(value)) || (kind === 'anonymous_id' && this.anonymousIds.has(value))) return true;
    return this.erasedFingerprints.size > 0 && this.erasedFingerprints.has(this.fingerprintOf(kind, value));
  }

  private fingerprintOf(kind: FingerprintedIdentityKind, value: string): string {
    const key = `${kind}\0${value}`;
    let fingerprint = this.remembered.get(key);
    if (fingerprint === undefined) {
      if (this.remembered.size >= MAX_REMEMBERED_FINGERPRINTS) this.remembered.clear();
      this.remembered.set(key, (fingerprint = this.fingerprints.of(this.projectId, kind, value)));
    }
    return fingerprint;
  }

  private named(text: string): boolean {
    for (const ids of [this.profileIds, this.userIds, this.anonymousIds]) for (const id of ids) if (text.includes(id)) return true;
    return false;
  }
}
