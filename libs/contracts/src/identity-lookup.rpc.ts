import { z } from 'zod';

/** Most values in one ResolveIdentities request. */
export const MAX_IDENTITIES_PER_LOOKUP = 1000;
/** Longest value a ResolveIdentities request carries (1,000 of them stay well inside NATS' 1 MB payload). */
export const MAX_IDENTITY_VALUE_LENGTH = 512;

/** The identities a ResolveIdentities request may look up. */
export const LOOKUP_IDENTITY_KINDS = ['user_id', 'email', 'phone'] as const;
export type LookupIdentityKind = (typeof LOOKUP_IDENTITY_KINDS)[number];

/**
 * Core NATS request/reply: which profile of `projectId` answers to each of `values` (all of one
 * `kind`), as `profiles` recognises them: emails lower-cased, phones to E.164. The reply lists one
 * entry per value, in order: the profile id, or null when no live profile holds it; `malformed`
 * lists the indexes of values that are not a valid identity of that kind (their entry is null).
 * `segments` asks it in batches while importing a cohort file.
 */
export const ResolveIdentities = {
  name: 'profiles.identities.resolve',
  request: z.object({
    projectId: z.string().uuid(),
    kind: z.enum(LOOKUP_IDENTITY_KINDS),
    values: z.array(z.string().max(MAX_IDENTITY_VALUE_LENGTH)).min(1).max(MAX_IDENTITIES_PER_LOOKUP),
  }),
  reply: z.object({
    profileIds: z.array(z.string().uuid().nullable()).max(MAX_IDENTITIES_PER_LOOKUP),
    malformed: z.array(z.number().int().min(0)).max(MAX_IDENTITIES_PER_LOOKUP),
  }),
} as const;

export type ResolveIdentitiesRequest = z.infer<typeof ResolveIdentities.request>;
export type ResolveIdentitiesReply = z.infer<typeof ResolveIdentities.reply>;
