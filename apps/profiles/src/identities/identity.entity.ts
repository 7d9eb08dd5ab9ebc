import { Column, Entity, PrimaryColumn } from 'typeorm';

export const IDENTITY_KINDS = ['user_id', 'anonymous_id', 'email', 'phone', 'device_id'] as const;
export type IdentityKindValue = (typeof IDENTITY_KINDS)[number];

/** Kinds that are personal data: their values are shown to secret keys only and never logged. */
export const PERSONAL_IDENTITY_KINDS: ReadonlySet<IdentityKindValue> = new Set(['email', 'phone']);

/** One way a profile is recognised; each (project, kind, value) belongs to one profile. */
@Entity({ name: 'profile_identity' })
export class ProfileIdentityEntity {
  @PrimaryColumn('uuid', { name: 'project_id' }) projectId: string;
  @PrimaryColumn('text') kind: IdentityKindValue;
  @PrimaryColumn('text') value: string;
  @Column('uuid', { name: 'profile_id' }) profileId: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}

export interface Identity {
  kind: IdentityKindValue;
  value: string;
}

/** The ids events carry and link by (user and anonymous ids), as against contact details and devices. */
export const isTrackingIdentity = (identity: Identity): boolean => identity.kind === 'user_id' || identity.kind === 'anonymous_id';

/** Emails are matched case-insensitively; other identities exactly as given. */
export function normalizeIdentity(identity: Identity): Identity {
  return identity.kind === 'email' ? { kind: 'email', value: identity.value.trim().toLowerCase() } : identity;
}

/** `kind:value`: one identity's key in maps and sets. */
export const identityKey = (identity: Identity): string => `${identity.kind}:${identity.value}`;

/** The identities without repeats, first occurrence kept. */
export function distinctIdentities(identities: readonly Identity[]): Identity[] {
  return [...new Map(identities.map((identity) => [identityKey(identity), identity])).values()];
}

/** The value of the first identity of `kind`, or null. */
export const identityValue = (identities: readonly Identity[], kind: IdentityKindValue): string | null =>
  identities.find((identity) => identity.kind === kind)?.value ?? null;
