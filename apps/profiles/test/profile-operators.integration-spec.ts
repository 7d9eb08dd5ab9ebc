import { randomUUID } from 'node:crypto';
import type { TestSubgraph } from '@boomerang/platform/testing';
import { INGESTED_EVENTS_DURABLE } from '../src/ingestion/ingested-events.consumer.js';
import { IngestedEventsStream, ingestedEvent, recordWarnings, secretKeyCaller, publishableKeyCaller, startProfilesSubgraph, type LoggedWarning } from './support.js';

const BY_USER = `query($value: String!) { profileByIdentity(kind: USER_ID, value: $value) { id name properties consent } }`;

interface ProfileView {
  id: string;
  name: string | null;
  properties: Record<string, unknown>;
  consent: Record<string, Record<string, unknown>> | null;
}

describe('profiles: CleverTap operators and consent from identify traits', () => {
  let sut: TestSubgraph;
  let events: IngestedEventsStream;
  let warnings: LoggedWarning[];

  beforeAll(async () => {
    sut = await startProfilesSubgraph();
    events = await IngestedEventsStream.declare(sut);
    warnings = recordWarnings(sut);
  });
  afterAll(() => sut?.close());

  const identify = async (projectId: string, userId: string, traits: Record<string, unknown>) => {
    await events.publish(ingestedEvent(projectId, { name: 'identify', properties: traits, type: 'identify', userId, anonymousId: null, traits }));
  };
  const processed = () => events.handled();
  const byUser = async (projectId: string, userId: string, caller = secretKeyCaller(projectId)) => {
    const result = await sut.query<{ profileByIdentity: ProfileView | null }>(BY_USER, { value: userId }, caller);
    expect(result.errors).toBeUndefined();
    return result.data!.profileByIdentity!;
  };

  it('applies $incr, $decr, $add, $remove, $delete and MSG-* consent through the consumer', async () => {
    const project = randomUUID();
    await identify(project, 'u-1', { name: 'Ada', plan: 'free', score: 10, tags: ['a', 'b'], legacy: 'old', 'MSG-email': true });
    await processed();
    const before = await byUser(project, 'u-1');
    expect(before.properties).toEqual({ plan: 'free', score: 10, tags: ['a', 'b'], legacy: 'old' });
    expect(before.consent).toEqual({ email: { subscribed: true, updatedAt: expect.any(String) } });

    await identify(project, 'u-1', {
      plan: 'gold',
      joined: '2026-01-01T00:00:00.000Z',
      score: { $incr: 5 },
      credits: { $decr: 2 },
      tags: { $add: ['c', 'a'] },
      badges: { $add: 'first' },
      legacy: { $delete: true },
      'MSG-email': false,
      'MSG-sms': true,
      'MSG-push': false,
      'MSG-dndPhone': true,
    });
    await identify(project, 'u-1', { tags: { $remove: ['b'] }, score: { $incr: 1 } });
    await processed();
    const after = await byUser(project, 'u-1');
    expect(after).toMatchObject({ id: before.id, name: 'Ada' });
    expect(after.properties).toEqual({ plan: 'gold', joined: '2026-01-01T00:00:00.000Z', score: 16, credits: -2, tags: ['a', 'c'], badges: ['first'] });
    expect(after.consent).toEqual({
      email: { subscribed: false, updatedAt: expect.any(String) },
      sms: { subscribed: true, updatedAt: expect.any(String) },
      push: { subscribed: false, updatedAt: expect.any(String) },
      phone: { dnd: true, updatedAt: expect.any(String) },
    });

    // Consent is for secret keys only (publishable keys reach profiles through entity references).
    const entities = await sut.query<{ _entities: { consent: unknown }[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { consent } } }`,
      { r: [{ __typename: 'Profile', id: before.id }] },
      publishableKeyCaller(project),
    );
    expect(entities.errors).toBeUndefined();
    expect(entities.data!._entities[0]!.consent).toBeNull();
  });

  it('skips $incr on a non-number with a warning naming the property, and applies the rest', async () => {
    const project = randomUUID();
    await identify(project, 'u-2', { plan: 'free', score: 1 });
    await processed();
    await identify(project, 'u-2', { plan: { $incr: 1 }, score: { $incr: 2 }, city: 'Paris' });
    await processed();
    expect((await byUser(project, 'u-2')).properties).toEqual({ plan: 'free', score: 3, city: 'Paris' });
    expect(warnings).toContainEqual({
      fields: expect.objectContaining({ consumer: INGESTED_EVENTS_DURABLE, property: 'plan', operator: '$incr' }),
      message: 'profile operator $incr on plan skipped: property is not a number',
    });
    // Another project sees none of it.
    const other = await sut.query<{ profileByIdentity: ProfileView | null }>(BY_USER, { value: 'u-2' }, secretKeyCaller(randomUUID()));
    expect(other.data!.profileByIdentity).toBeNull();
  });
});
