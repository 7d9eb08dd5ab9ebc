import { randomUUID } from 'node:crypto';
import type { IngestedEvent } from '@boomerang/contracts';
import { IdentityFingerprints } from '@boomerang/platform/messaging';
import { ErasedPeople } from './erased-people.js';

const fingerprints = new IdentityFingerprints('a-test-secret-long-enough-for-hmac-keys-0001');
const projectId = randomUUID();
const erasedProfile = randomUUID();

const event = (fields: Partial<IngestedEvent>): IngestedEvent => ({
  eventId: randomUUID(),
  messageId: randomUUID(),
  profileId: null,
  name: 'Viewed',
  type: 'track',
  timestamp: '2026-01-01T00:00:00.000Z',
  properties: {},
  userId: 'someone-else',
  anonymousId: null,
  ...fields,
});

describe('ErasedPeople', () => {
  const sut = new ErasedPeople(projectId, fingerprints).add({
    profileId: erasedProfile,
    userIds: ['linked-user'],
    anonymousIds: ['linked-anon'],
    fingerprints: [
      fingerprints.of(projectId, 'user_id', 'unlinked-user'),
      fingerprints.of(projectId, 'anonymous_id', 'unlinked-anon'),
      fingerprints.of(projectId, 'email', 'pat@example.org'),
      fingerprints.of(projectId, 'phone', '+351912345678'),
      fingerprints.of(projectId, 'device_id', 'shared-device'),
    ],
  });

  it.each([
    ['the erased profile id', { profileId: erasedProfile }],
    ['a linked user id', { userId: 'linked-user' }],
    ['a linked anonymous id', { userId: null, anonymousId: 'linked-anon' }],
    ['a user id events had not linked yet (by fingerprint)', { userId: 'unlinked-user' }],
    ['an anonymous id events had not linked yet (by fingerprint)', { userId: null, anonymousId: 'unlinked-anon' }],
    ["an alias' previous id", { type: 'alias', previousId: 'linked-anon' }],
    ['an identify with their email, in another case', { type: 'identify', traits: { email: ' Pat@Example.org' } }],
    ['an identify with their phone', { type: 'identify', traits: { phone: '+351912345678' } }],
  ] as [string, Partial<IngestedEvent>][])('holds an event carrying %s', (_, fields) => {
    expect(sut.holds(event(fields))).toBe(true);
  });

  it.each([
    ["another person's event", {}],
    ['an event on their (shared) device only', { deviceId: 'shared-device' }],
    ['a track whose properties mention their email (not an identity claim)', { properties: { email: 'pat@example.org' } }],
  ] as [string, Partial<IngestedEvent>][])('does not hold %s', (_, fields) => {
    expect(sut.holds(event(fields))).toBe(false);
  });

  it("does not take another project's fingerprint of the same value for theirs", () => {
    const otherProject = randomUUID();
    const keyedElsewhere = new ErasedPeople(projectId, fingerprints).add({
      profileId: randomUUID(),
      userIds: [],
      anonymousIds: [],
      fingerprints: [fingerprints.of(otherProject, 'user_id', 'same-user')],
    });
    expect(keyedElsewhere.holds(event({ userId: 'same-user' }))).toBe(false);
  });

  it("keeps a batch without their events, deletes one with only theirs, and redacts one with others' to the others'", () => {
    const body = (events: IngestedEvent[]) => JSON.stringify({ projectId, occurredAt: '2026-01-01T00:00:00.000Z', events });
    const others = [event({}), event({ userId: 'third' })];
    const theirs = [event({ userId: 'linked-user' }), event({ type: 'identify', traits: { email: 'pat@example.org' } })];
    expect(sut.erasureOf(body(others))).toBe('keep');
    expect(sut.erasureOf(body(theirs))).toBe('delete');
    const erasure = sut.erasureOf(body([theirs[0]!, others[0]!, theirs[1]!, others[1]!]));
    expect(erasure).toEqual({ redacted: body(others) });
  });

  it('judges a body that is not a batch of events by whether its text names one of their ids', () => {
    expect(sut.erasureOf('{"events": "linked-user"')).toBe('delete');
    expect(sut.erasureOf(JSON.stringify({ events: [null, erasedProfile] }))).toEqual({ redacted: JSON.stringify({ events: [null] }) });
    expect(sut.erasureOf(JSON.stringify({ events: [null] }))).toBe('keep');
    expect(sut.erasureOf('not json')).toBe('keep');
  });
});
