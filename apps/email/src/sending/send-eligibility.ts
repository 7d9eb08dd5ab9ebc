/** Why a send was not attempted; recorded on the send and reported as `Email Skipped`. */
export const SKIP_REASONS = ['NO_PROFILE', 'NO_EMAIL', 'UNSUBSCRIBED', 'NO_CONSENT', 'SUPPRESSED'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface RecipientFacts {
  /** Null: email does not know the profile, or it was erased. */
  profile: { email: string | null; emailSubscribed: boolean | null } | null;
  /** Whether the address is on the project's suppression list. */
  suppressed: boolean;
  /** The project asks for stated consent (emailSubscribed true), not just no opt-out. */
  consentRequired: boolean;
}

/** The reason not to send, or null to send. Checked at send time, so a later opt-out still wins. */
export function skipReason({ profile, suppressed, consentRequired }: RecipientFacts): SkipReason | null {
  if (!profile) return 'NO_PROFILE';
  if (!profile.email) return 'NO_EMAIL';
  if (profile.emailSubscribed === false) return 'UNSUBSCRIBED';
  if (consentRequired && profile.emailSubscribed !== true) return 'NO_CONSENT';
  if (suppressed) return 'SUPPRESSED';
  return null;
}

/** The form suppression lists and domains are kept in. */
export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

export function domainOf(address: string): string {
  return normalizeAddress(address).split('@').pop() ?? '';
}
