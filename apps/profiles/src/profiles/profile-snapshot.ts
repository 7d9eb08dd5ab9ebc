import type { ProfileSnapshot } from '@boomerang/contracts';
import type { Consent } from './profile-traits.js';

/** The columns of a live profile row that its snapshot is built from (ProfileRepository reads them). */
export interface ProfileSnapshotRow {
  id: string;
  projectId: string;
  externalId: string | null;
  properties: Record<string, unknown>;
  email: string | null;
  phone: string | null;
  name: string | null;
  timeZone: string | null;
  locale: string | null;
  consent: Consent | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A profile as other services see it (ProfileChanged, ListProfileSnapshots): properties as stored
 * (typed), contact details as presence in `attributes` and as addresses in `contact`, consent per
 * channel (null while never stated). Pure: built from the row as written, never from a request.
 */
export function profileSnapshot(row: ProfileSnapshotRow): ProfileSnapshot {
  const decision = (channel: string, flag: 'subscribed' | 'dnd'): boolean | null => {
    const value = row.consent?.[channel]?.[flag];
    return typeof value === 'boolean' ? value : null;
  };
  return {
    profileId: row.id,
    externalId: row.externalId,
    properties: row.properties ?? {},
    attributes: {
      email: row.email ? true : null,
      phone: row.phone ? true : null,
      name: row.name,
      timeZone: row.timeZone,
      locale: row.locale,
      createdAt: row.createdAt.toISOString(),
      emailSubscribed: decision('email', 'subscribed'),
      smsSubscribed: decision('sms', 'subscribed'),
      pushSubscribed: decision('push', 'subscribed'),
      whatsappSubscribed: decision('whatsapp', 'subscribed'),
      phoneDnd: decision('phone', 'dnd'),
    },
    contact: { email: row.email, phone: row.phone },
    updatedAt: row.updatedAt.toISOString(),
  };
}
