import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { ResolveApiKeyReply } from '@boomerang/contracts';
import { publishableKeyCaller, secretKeyCaller } from '@boomerang/platform/testing';
import { UserVerification } from '../src/verification/user-verification.js';
import { ingestCredentials, publishedEvents, startIngestSubgraph, stopIngestSubgraph, type EventsSubgraph } from './support.js';

/**
 * Publishable keys are public: what they send is unverified unless it carries a user token that
 * the product's backend minted (createUserToken) for the call's userId. Every event says which it
 * is (EventsIngested `verified`), so profiles can keep unverified calls off other people's data.
 */
describe('user verification at the ingestion API', () => {
  let sut: EventsSubgraph;
  let baseUrl: string;
  let db: DataSource;
  let keys: Map<string, ResolveApiKeyReply>;
  const credentials = ingestCredentials();
  const { project, pk, sk, other } = credentials;

  beforeAll(async () => {
    ({ sut, baseUrl, db, keys } = await startIngestSubgraph(credentials));
  });
  afterAll(() => stopIngestSubgraph(sut));

  const post = (path: string, body: unknown, { key = pk, headers = {} }: { key?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`, ...headers },
      body: JSON.stringify(body),
    });

  const mint = async (userId: string, projectId = project, expiresInSeconds?: number) => {
    const result = await sut.query<{ createUserToken: { token: string; userId: string; expiresAt: string } }>(
      `mutation($userId: String!, $ttl: Int) { createUserToken(userId: $userId, expiresInSeconds: $ttl) { token userId expiresAt } }`,
      { userId, ttl: expiresInSeconds },
      secretKeyCaller(projectId),
    );
    expect(result.errors).toBeUndefined();
    return result.data!.createUserToken.token;
  };

  const storedByMessageId = async (messageId: string) =>
    (await db.query(`SELECT verified, context FROM event WHERE project_id = $1 AND message_id = $2`, [project, messageId])) as {
      verified: boolean;
      context: Record<string, unknown> | null;
    }[];

  const announced = async (messageId: string) => (await publishedEvents(sut, project)).find((event) => event.messageId === messageId);

  it('marks secret-key calls verified and publishable-key calls without a token unverified, on the row and on the stream', async () => {
    const [bySecret, byPublishable] = [randomUUID(), randomUUID()];
    expect((await post('/v1/identify', { userId: 'u-1', traits: { plan: 'gold' }, messageId: bySecret }, { key: sk })).status).toBe(200);
    expect((await post('/v1/identify', { userId: 'u-1', traits: { plan: 'hijacked' }, messageId: byPublishable })).status).toBe(200);
    expect(await storedByMessageId(bySecret)).toEqual([expect.objectContaining({ verified: true })]);
    expect(await storedByMessageId(byPublishable)).toEqual([expect.objectContaining({ verified: false })]);
    expect(await announced(bySecret)).toMatchObject({ verified: true });
    expect(await announced(byPublishable)).not.toHaveProperty('verified');
  });

  it('verifies a publishable call whose context carries a user token for its userId, and stores the context without the token', async () => {
    const token = await mint('u-2');
    const messageId = randomUUID();
    const response = await post('/v1/batch', {
      batch: [{ type: 'identify', userId: 'u-2', traits: { email: 'u2@example.com' }, messageId, context: { userToken: token, locale: 'en-GB' } }],
    });
    expect(response.status).toBe(200);
    expect(await storedByMessageId(messageId)).toEqual([{ verified: true, context: { locale: 'en-GB' } }]);
    const event = await announced(messageId);
    expect(event).toMatchObject({ verified: true, context: { locale: 'en-GB' } });
    expect(JSON.stringify(event)).not.toContain(token);
  });

  it('takes the token from the X-User-Token header for every event of the request (server SDKs)', async () => {
    const token = await mint('u-3');
    const [first, second] = [randomUUID(), randomUUID()];
    const response = await post(
      '/v1/batch',
      { batch: [{ type: 'track', userId: 'u-3', event: 'A', messageId: first }, { type: 'track', anonymousId: 'anon-3', event: 'B', messageId: second }] },
      { headers: { 'x-user-token': token } },
    );
    expect(response.status).toBe(200);
    expect((await storedByMessageId(first))[0]!.verified).toBe(true);
    // A token proves a user id; a call that names none stays unverified.
    expect((await storedByMessageId(second))[0]!.verified).toBe(false);
  });

  it.each([
    ['a token minted for another user', async () => mint('someone-else'), 403, 'batch[0].userId'],
    ['a token of another project', async () => mint('u-4', other), 401, 'batch[0].context.userToken'],
    ['an expired token', async () => expiredToken('u-4'), 401, 'batch[0].context.userToken'],
    ['garbage', async () => 'not-a-token', 401, 'batch[0].context.userToken'],
    ['a number', async () => 42, 401, 'batch[0].context.userToken'],
  ])('refuses %s naming the field, storing nothing of the batch', async (_case, token, status, field) => {
    const [ok, bad] = [randomUUID(), randomUUID()];
    const response = await post('/v1/batch', {
      batch: [
        { type: 'identify', userId: 'u-4', traits: { plan: 'x' }, messageId: bad, context: { userToken: await token() } },
        { type: 'track', anonymousId: 'anon-4', event: 'Fine', messageId: ok },
      ],
    });
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: unknown }).error).toMatchObject({ field });
    expect(await storedByMessageId(ok)).toEqual([]);
    expect(await storedByMessageId(bad)).toEqual([]);
  });

  const expiredToken = async (userId: string) => {
    const verification = sut.app.get(UserVerification);
    const { token } = await verification.userTokens.mint(project, userId, 60, new Date(Date.now() - 3600_000));
    return token;
  };

  it('requires a token for publishable calls naming a user id once the project says so; anonymous calls and secret keys go on', async () => {
    const strict = randomUUID();
    const strictPk = `pk_${randomUUID()}`;
    const strictSk = `sk_${randomUUID()}`;
    keys.set(strictPk, { ok: true, projectId: strict, keyId: randomUUID(), scope: 'publishable' });
    keys.set(strictSk, { ok: true, projectId: strict, keyId: randomUUID(), scope: 'secret' });
    sut.verificationRequired.add(strict);

    const refused = await post('/v1/identify', { userId: 'victim', anonymousId: 'mallory', traits: { name: 'Mallory' } }, { key: strictPk });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: unknown }).error).toMatchObject({ code: 'USER_VERIFICATION_REQUIRED', field: 'userId' });
    const alias = await post('/v1/alias', { userId: 'victim', previousId: 'mallory' }, { key: strictPk });
    expect(alias.status).toBe(403);

    expect((await post('/v1/track', { anonymousId: 'visitor', event: 'Viewed' }, { key: strictPk })).status).toBe(200);
    expect((await post('/v1/identify', { userId: 'victim', traits: { plan: 'gold' } }, { key: strictSk })).status).toBe(200);
    const token = await mint('victim', strict);
    expect((await post('/v1/identify', { userId: 'victim', traits: { name: 'Vic' }, context: { userToken: token } }, { key: strictPk })).status).toBe(200);
    const rows = (await db.query(`SELECT user_id, anonymous_id, verified FROM event WHERE project_id = $1 ORDER BY received_at`, [strict])) as unknown[];
    expect(rows).toEqual([
      { user_id: null, anonymous_id: 'visitor', verified: false },
      { user_id: 'victim', anonymous_id: null, verified: true },
      { user_id: 'victim', anonymous_id: null, verified: true },
    ]);
  });

  it('treats GraphQL ingestion alike: userToken proves userId, a profile id is not a publishable caller\'s to name', async () => {
    const token = await mint('u-5');
    const IDENTIFY = `mutation($input: IdentifyInput!) { identify(input: $input) { id duplicate } }`;
    const verified = await sut.query(IDENTIFY, { input: { userId: 'u-5', traits: { a: 1 }, userToken: token, messageId: 'gql-1' } }, publishableKeyCaller(project));
    expect(verified.errors).toBeUndefined();
    expect((await storedByMessageId('gql-1'))[0]!.verified).toBe(true);

    const mismatch = await sut.query(IDENTIFY, { input: { userId: 'u-6', traits: {}, userToken: token } }, publishableKeyCaller(project));
    expect(mismatch.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'input.userId' });
    const byProfile = await sut.query(
      `mutation($input: TrackEventInput!) { track(input: $input) { id } }`,
      { input: { profileId: randomUUID(), name: 'x' } },
      publishableKeyCaller(project),
    );
    expect(byProfile.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'input.profileId' });
  });

  it('mints user tokens for secret keys only, within the lifetime limits', async () => {
    const MINT = `mutation($userId: String!, $ttl: Int) { createUserToken(userId: $userId, expiresInSeconds: $ttl) { token } }`;
    expect((await sut.query(MINT, { userId: 'u' }, publishableKeyCaller(project))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    for (const [variables, field] of [
      [{ userId: 'u', ttl: 10 }, 'expiresInSeconds'],
      [{ userId: 'u', ttl: 90_000 }, 'expiresInSeconds'],
      [{ userId: '' }, 'userId'],
      [{ userId: 'x'.repeat(256) }, 'userId'],
    ] as const) {
      expect((await sut.query(MINT, variables, secretKeyCaller(project))).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
  });

  it('serves the analytics.js loader and settings for publishable keys only (their answers are public and cached)', async () => {
    for (const path of [`/analytics.js/v1/${sk}/analytics.min.js`, `/v1/projects/${sk}/settings`]) {
      const response = await fetch(`${baseUrl}${path}`);
      expect(response.status).toBe(401);
      expect(await response.text()).not.toContain(sk);
    }
    expect((await fetch(`${baseUrl}/v1/projects/${pk}/settings`)).status).toBe(200);
  });
});
