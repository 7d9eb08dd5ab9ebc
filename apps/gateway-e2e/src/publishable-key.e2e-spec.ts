import { bearer, startTestPlatform, type RunningPlatform } from '../../../tools/dev/test-platform.js';

interface CreatedProject {
  project: { id: string };
  publishableKey: { key: string };
  secretKey: { key: string };
}

interface ProfileView {
  id: string;
  email: string | null;
  phone: string | null;
  name: string | null;
  properties: Record<string, unknown>;
  consent: Record<string, { subscribed?: boolean }> | null;
  identities: { kind: string; value: string }[];
}

const PROFILE_FIELDS = 'id email phone name properties consent identities { kind value }';

/**
 * The issue's reproduction, through the public doors only: a publishable key (public by design,
 * inside every app) must not take over a profile made with the secret key, whether it comes by
 * the Segment API or CleverTap's upload; a user token minted by the product's backend makes the
 * app's writes for that user trusted; the project can require such tokens.
 */
describe('a publishable key cannot touch another person\'s profile', () => {
  let platform: RunningPlatform;
  let shop: CreatedProject;

  beforeAll(async () => {
    platform = await startTestPlatform({ KEY_CACHE_TTL_MS: '500', INGEST_KEY_CACHE_TTL_MS: '500' });
    const created = await platform.graphql<{ createProject: CreatedProject }>(
      `mutation { createProject(input: { name: "Shop" }) { project { id } publishableKey { key } secretKey { key } } }`,
      {},
      bearer(platform.adminToken),
    );
    expect(created.errors).toBeUndefined();
    shop = created.data!.createProject;
  }, 180_000);
  afterAll(() => platform?.stop(), 60_000);

  const asSecret = () => bearer(shop.secretKey.key);

  const segment = (path: string, body: unknown, key = shop.publishableKey.key) =>
    fetch(`${platform.ingestUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
      body: JSON.stringify(body),
    });

  const byIdentity = async (kind: string, value: string): Promise<ProfileView | null> => {
    const result = await platform.graphql<{ profileByIdentity: ProfileView | null }>(
      `query($kind: IdentityKind!, $value: String!) { profileByIdentity(kind: $kind, value: $value) { ${PROFILE_FIELDS} } }`,
      { kind, value },
      asSecret(),
    );
    expect(result.errors).toBeUndefined();
    return result.data!.profileByIdentity;
  };

  /** Ingestion is asynchronous: polls until `check` holds (or fails with its last error). */
  const eventually = async <T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 20_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (check(value) || Date.now() > deadline) return value;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  it('keeps the victim intact against identify by email, identify by user id, and CleverTap uploads with the publishable key as passcode', async () => {
    const victim = await platform.graphql<{ createProfile: ProfileView }>(
      `mutation { createProfile(input: { externalId: "victim", email: "victim@example.com", phone: "+15550100", name: "Victoria", properties: { plan: "gold" } }) { ${PROFILE_FIELDS} } }`,
      {},
      asSecret(),
    );
    expect(victim.errors).toBeUndefined();
    const consent = await segment('/v1/identify', { userId: 'victim', traits: { 'MSG-email': true } }, shop.secretKey.key);
    expect(consent.status).toBe(200);
    const before = await eventually(() => byIdentity('USER_ID', 'victim'), (profile) => profile?.consent?.email?.subscribed === true);

    expect((await segment('/v1/identify', { anonymousId: 'new', traits: { email: 'victim@example.com', name: 'Mallory', plan: 'hijacked' } })).status).toBe(200);
    expect((await segment('/v1/identify', { userId: 'victim', traits: { name: 'Mallory', plan: 'hijacked', email: 'mallory@example.com', 'MSG-email': false } })).status).toBe(200);
    const upload = await fetch(`${platform.ingestUrl}/1/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-clevertap-account-id': shop.project.id, 'x-clevertap-passcode': shop.publishableKey.key },
      body: JSON.stringify({
        d: [
          { type: 'profile', identity: 'victim', ts: 1_790_000_000, profileData: { Name: 'Mallory', plan: 'hijacked', 'MSG-email': false, Phone: '+15550199' } },
          { type: 'profile', objectId: 'new-2', ts: 1_790_000_000, profileData: { Email: 'victim@example.com', Name: 'Mallory' } },
        ],
      }),
    });
    expect(await upload.json()).toMatchObject({ status: 'success', processed: 2 });

    // The attacker's anonymous ids end on profiles of their own, never on the victim's.
    const attacker = await eventually(() => byIdentity('ANONYMOUS_ID', 'new-2'), (profile) => profile !== null);
    expect(attacker).toMatchObject({ email: null, name: 'Mallory' });
    expect((await byIdentity('ANONYMOUS_ID', 'new'))!.id).not.toBe(before!.id);
    const after = await byIdentity('USER_ID', 'victim');
    expect(after).toEqual(before);
  });

  it('trusts the app\'s writes for a user once they carry a user token minted with the secret key', async () => {
    await platform.graphql(`mutation { createProfile(input: { externalId: "ada", name: "Ada", properties: { plan: "pro" } }) { id } }`, {}, asSecret());
    const minted = await platform.graphql<{ createUserToken: { token: string } }>(`mutation { createUserToken(userId: "ada") { token } }`, {}, asSecret());
    expect(minted.errors).toBeUndefined();
    const token = minted.data!.createUserToken.token;
    const refusedMint = await platform.graphql(`mutation { createUserToken(userId: "ada") { token } }`, {}, bearer(shop.publishableKey.key));
    expect(refusedMint.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const sent = await segment('/v1/identify', { userId: 'ada', traits: { name: 'Ada L.', email: 'ada@example.com', plan: 'max' }, context: { userToken: token } });
    expect(sent.status).toBe(200);
    const ada = await eventually(() => byIdentity('USER_ID', 'ada'), (profile) => profile?.email === 'ada@example.com');
    expect(ada).toMatchObject({ name: 'Ada L.', email: 'ada@example.com', properties: { plan: 'max' } });

    const forOther = await segment('/v1/identify', { userId: 'victim', traits: { name: 'Mallory' }, context: { userToken: token } });
    expect(forOther.status).toBe(403);
    expect(((await forOther.json()) as { error: unknown }).error).toMatchObject({ field: 'userId' });
  });

  it('refuses publishable calls that name a user id without a token once the project requires verification', async () => {
    const updated = await platform.graphql(`mutation { updateProject(input: { requireUserVerification: true }) { requireUserVerification } }`, {}, asSecret());
    expect(updated.errors).toBeUndefined();
    const refused = await eventually(
      () => segment('/v1/track', { userId: 'victim', anonymousId: 'mallory-9', event: 'Viewed' }),
      (response) => response.status === 403,
      5_000,
    );
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: unknown }).error).toMatchObject({ code: 'USER_VERIFICATION_REQUIRED', field: 'userId' });
    expect((await segment('/v1/track', { anonymousId: 'visitor-1', event: 'Viewed' })).status).toBe(200);
    await platform.graphql(`mutation { updateProject(input: { requireUserVerification: false }) { id } }`, {}, asSecret());
  });
});
