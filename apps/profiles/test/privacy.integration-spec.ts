import { randomUUID } from 'node:crypto';
import { eventually, type TestSubgraph } from '@boomerang/platform/testing';
import { IngestedEventsStream, ingestedEvent, publishableKeyCaller, secretKeyCaller, startProfilesSubgraph } from './support.js';

/** Personal data that goes in through every door and must never come out in a log line. */
const EMAIL = 'Pat.Privacy@example.org';
const OTHER_EMAIL = 'second.person@example.net';
const GRAPHQL_EMAIL = 'graphql.person@example.com';
const INVALID_EMAIL = 'pat.privacy-at-example.org';
const PHONE = '+351912345678';
const GRAPHQL_PHONE = '+14155550123';
const PERSONAL = [EMAIL, EMAIL.toLowerCase(), OTHER_EMAIL, GRAPHQL_EMAIL, INVALID_EMAIL, PHONE, PHONE.slice(1), GRAPHQL_PHONE, GRAPHQL_PHONE.slice(1)];

describe('profiles: personal data stays out of logs and away from publishable keys', () => {
  let sut: TestSubgraph;
  let events: IngestedEventsStream;
  const lines: string[] = [];

  beforeAll(async () => {
    sut = await startProfilesSubgraph({ logs: { level: 'trace', destination: { write: (line: string) => void lines.push(line) } } });
    events = await IngestedEventsStream.declare(sut);
  });
  afterAll(() => sut?.close());

  const publish = async (projectId: string, fields: Record<string, unknown>) => {
    await events.publish(ingestedEvent(projectId, { name: 'identify', ...fields }));
  };
  // Delivered, not necessarily acknowledged: one message here fails and is redelivered.
  const handled = () => events.handled({ acknowledged: false });

  it('logs none of the emails and phones of an ingest and of GraphQL reads and writes, and shows them to secret keys only', async () => {
    const project = randomUUID();
    await publish(project, { type: 'identify', userId: 'p-1', anonymousId: 'a-1', traits: { email: EMAIL, phone: PHONE, name: 'Pat', plan: 'pro' } });
    // Refused: the same email on another user (the refusal is logged without it).
    await publish(project, { type: 'identify', userId: 'p-2', anonymousId: 'a-2', traits: { email: EMAIL } });
    await publish(project, { type: 'identify', userId: 'p-3', traits: { email: INVALID_EMAIL, phone: 'call me', seats: 2 } });
    await publish(project, { type: 'identify', userId: 'p-3', traits: { seats: 'two' } });
    // Refused: a-1 belongs to p-1.
    await publish(project, { type: 'track', userId: 'p-3', anonymousId: 'a-1' });
    // Fails its batch (and then itself): the failed statement's parameters hold the other email.
    await publish(project, { type: 'identify', userId: 'p-4', traits: { email: OTHER_EMAIL, note: 'nul \u0000' } });
    await handled();
    await eventually(() => lines.some((line) => line.includes('handler failed; message will be redelivered')), { timeoutMs: 20_000 });

    const caller = secretKeyCaller(project);
    const created = await sut.query<{ createProfile: { id: string } }>(
      `mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }`,
      { input: { externalId: 'g-1', email: GRAPHQL_EMAIL, phone: GRAPHQL_PHONE } },
      caller,
    );
    expect(created.errors).toBeUndefined();
    const taken = await sut.query(`mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }`, { input: { externalId: 'g-2', email: GRAPHQL_EMAIL } }, caller);
    expect(taken.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.email' });
    const invalid = await sut.query(`mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }`, { input: { externalId: 'g-3', phone: 'call me' } }, caller);
    expect(invalid.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    const byEmail = await sut.query<{ profileByIdentity: { id: string; email: string; phone: string } }>(
      `query($value: String!) { profileByIdentity(kind: EMAIL, value: $value) { id email phone } }`,
      { value: EMAIL },
      caller,
    );
    expect(byEmail.data!.profileByIdentity).toMatchObject({ email: EMAIL, phone: PHONE });
    const p1 = byEmail.data!.profileByIdentity.id;
    await sut.query(`query($id: ID!) { exportProfile(id: $id) }`, { id: p1 }, caller);
    await sut.query(`{ profiles(filter: { propertyEquals: { plan: "pro" } }) { edges { node { email phone identities { kind value } } } } }`, {}, caller);
    await sut.query(`query($id: ID!) { profile(id: $id) { id } }`, { id: EMAIL }, caller);
    await sut.query(`mutation($id: ID!) { eraseProfile(id: $id) }`, { id: created.data!.createProfile.id }, caller);

    // Secret keys see email and phone; publishable keys (entity references are their only way in) do not.
    const entities = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { email phone identities { kind } } } }`;
    const asPublishable = await sut.query<{ _entities: { email: string | null; phone: string | null; identities: { kind: string }[] }[] }>(
      entities,
      { r: [{ __typename: 'Profile', id: p1 }] },
      publishableKeyCaller(project),
    );
    expect(asPublishable.data!._entities[0]).toEqual({ email: null, phone: null, identities: [{ kind: 'ANONYMOUS_ID' }, { kind: 'USER_ID' }] });
    const asSecret = await sut.query<{ _entities: { email: string | null }[] }>(entities, { r: [{ __typename: 'Profile', id: p1 }] }, caller);
    expect(asSecret.data!._entities[0]!.email).toBe(EMAIL);

    // The capture works (these lines are there) and holds none of the values.
    const log = lines.join('');
    expect(log).toContain('invalid traits ignored');
    expect(log).toContain('profile property seats rejected');
    expect(log).toContain('identity resolution refused');
    expect(log).toContain('batch failed; handling its messages one by one');
    for (const value of PERSONAL) expect({ value, logged: log.includes(value) }).toEqual({ value, logged: false });
  });
});
