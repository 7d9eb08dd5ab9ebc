import { ProfileSnapshotSchema } from '@boomerang/contracts';
import { profileSnapshot, type ProfileSnapshotRow } from './profile-snapshot.js';

describe('profileSnapshot', () => {
  const row: ProfileSnapshotRow = {
    id: '0195f0a0-0000-7000-8000-000000000001',
    projectId: '0195f0a0-0000-7000-8000-0000000000aa',
    externalId: 'user-1',
    properties: { plan: 'pro', visits: 3, joined: '2026-01-31T09:30:00.000Z' },
    email: 'ada@example.com',
    phone: '+14155550123',
    name: 'Ada',
    timeZone: 'Europe/Lisbon',
    locale: 'pt-PT',
    consent: {
      email: { subscribed: false, updatedAt: '2026-02-01T00:00:00.000Z' },
      push: { subscribed: true, updatedAt: '2026-02-01T00:00:00.000Z' },
      phone: { dnd: true, updatedAt: '2026-02-01T00:00:00.000Z' },
    },
    createdAt: new Date('2026-01-01T10:00:00.123Z'),
    updatedAt: new Date('2026-02-01T00:00:00.456Z'),
  };

  it('states contact details as presence in attributes and as addresses in contact, consent per channel', () => {
    const sut = profileSnapshot(row);
    expect(sut).toEqual({
      profileId: row.id,
      externalId: 'user-1',
      properties: { plan: 'pro', visits: 3, joined: '2026-01-31T09:30:00.000Z' },
      attributes: {
        email: true,
        phone: true,
        name: 'Ada',
        timeZone: 'Europe/Lisbon',
        locale: 'pt-PT',
        createdAt: '2026-01-01T10:00:00.123Z',
        emailSubscribed: false,
        smsSubscribed: null,
        pushSubscribed: true,
        whatsappSubscribed: null,
        phoneDnd: true,
      },
      contact: { email: 'ada@example.com', phone: '+14155550123' },
      updatedAt: '2026-02-01T00:00:00.456Z',
    });
    expect(ProfileSnapshotSchema.parse(sut)).toEqual(sut);
  });

  it('says null for what the profile does not have or never stated', () => {
    const sut = profileSnapshot({ ...row, externalId: null, email: null, phone: null, name: null, timeZone: null, locale: null, consent: null, properties: {} });
    expect(sut.attributes).toMatchObject({ email: null, phone: null, emailSubscribed: null, smsSubscribed: null, pushSubscribed: null, whatsappSubscribed: null, phoneDnd: null });
    expect(sut.contact).toEqual({ email: null, phone: null });
    // A consent entry without a boolean flag (a channel's other field) is no decision.
    expect(profileSnapshot({ ...row, consent: { phone: { subscribed: true, updatedAt: '2026-02-01T00:00:00.000Z' } } }).attributes.phoneDnd).toBeNull();
    expect(ProfileSnapshotSchema.parse(sut)).toEqual(sut);
  });
});
