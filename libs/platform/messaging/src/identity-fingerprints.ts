import { createHmac } from 'node:crypto';

/** The identity kinds a fingerprint can be taken of (profiles' `profile_identity.kind`). */
export type FingerprintedIdentityKind = 'user_id' | 'anonymous_id' | 'email' | 'phone' | 'device_id';

/**
 * Keyed fingerprints of identity values (HMAC-SHA256, base64url), so an erasure can name a person's
 * email or phone to every service without carrying them: each service compares the fingerprints to
 * those of what it finds. The key is derived per project from the internal signing secret every
 * service already shares, so a fingerprint cannot be tested against guessed emails or phone numbers
 * without that secret, and says nothing about another project.
 */
export class IdentityFingerprints {
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly secret: string) {}

  /** The fingerprint of `value` as a `kind` identity of the project; emails are compared trimmed and lower-cased, as profiles stores them. */
  of(projectId: string, kind: FingerprintedIdentityKind, value: string): string {
    const normalized = kind === 'email' ? value.trim().toLowerCase() : value;
    return createHmac('sha256', this.keyOf(projectId)).update(`${kind}\0${normalized}`).digest('base64url');
  }

  private keyOf(projectId: string): Buffer {
    let key = this.keys.get(projectId);
    if (!key) this.keys.set(projectId, (key = createHmac('sha256', this.secret).update(`boomerang erasure fingerprint v1\0${projectId}`).digest()));
    return key;
  }
}
