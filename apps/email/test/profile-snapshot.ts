import type { ProfileSnapshot } from '@boomerang/contracts';

/** A ProfileChanged body as `profiles` publishes it: an email, its consent and custom properties. */
export const profileSnapshot = (profileId: string, email: string | null, emailSubscribed: boolean | null, properties: Record<string, unknown> = {}): ProfileSnapshot => ({
  profileId,
  externalId: null,
  properties,
  attributes: {
    email: email ? true : null,
    phone: null,
    name: 'Ann',
    timeZone: null,
    locale: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    emailSubscribed,
    smsSubscribed: null,
    pushSubscribed: null,
    whatsappSubscribed: null,
    phoneDnd: null,
  },
  contact: { email, phone: null },
  updatedAt: new Date().toISOString(),
});
