import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { bearer, startTestPlatform, type RunningPlatform } from '../../../tools/dev/test-platform.js';

/**
 * Property-based fuzzing of the GraphQL API through the gateway's public endpoint: random bodies,
 * hostile variables for real operations, random operation names and credentials. Whatever is sent,
 * the answer is below 500, carries no INTERNAL_SERVER_ERROR, no stack trace and no server path,
 * names the field of a BAD_USER_INPUT, and a refused write writes nothing.
 *
 * 5,000 cases in CI (the ingestion API's fuzz test runs the other 5,000 of the suite's budget),
 * fewer locally; FUZZ_CASES overrides both. Four properties run side by side, so the platform
 * serves several requests at once as it would in use.
 */
const CASES = Number(process.env.FUZZ_CASES ?? (process.env.CI === 'true' ? 5000 : 800));
const SHARE = { bodies: 0.35, operations: 0.55, writes: 0.1 };

interface CreatedProject {
  project: { id: string };
  publishableKey: { key: string };
  secretKey: { key: string; apiKey: { id: string } };
}

interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: { message?: unknown; extensions?: { code?: unknown; field?: unknown } }[];
}

interface Answer {
  status: number;
  text: string;
  json?: GraphQLAnswer;
}

const root = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A stack frame (`at fn (file:1:2)`, `at file:1:2`), the workspace's path or a dependency's. */
const LEAK = new RegExp(`\\bat (?:async )?[^\\s()]+ \\([^()]*:\\d+:\\d+\\)|\\bat [^\\s()]+:\\d+:\\d+|${escapeRegExp(root)}|node_modules`);

/** The invariants every answer keeps, whatever was sent. */
function expectSafe(answer: Answer): void {
  if (answer.status >= 500) throw new Error(`answered ${answer.status}: ${answer.text.slice(0, 500)}`);
  if (!answer.json) throw new Error(`answer is not JSON: ${answer.text.slice(0, 500)}`);
  if (LEAK.test(answer.text)) throw new Error(`answer leaks internals: ${answer.text.slice(0, 500)}`);
  for (const error of answer.json?.errors ?? []) {
    const code = error.extensions?.code;
    if (code === 'INTERNAL_SERVER_ERROR') throw new Error(`INTERNAL_SERVER_ERROR: ${JSON.stringify(error).slice(0, 500)}`);
    if (code === 'BAD_USER_INPUT' && !(typeof error.extensions?.field === 'string' && error.extensions.field)) {
      throw new Error(`BAD_USER_INPUT names no field: ${JSON.stringify(error).slice(0, 500)}`);
    }
  }
}

/** Characters that break things: NUL, lone surrogates, controls, bidi overrides, BOM, emoji. */
const TROUBLE = ['\u0000', '\ud800', '\udfff', '\u0007', '\u001b[31m', '\r\n', '\u202e', '\ufeff', '\uffff', '👩‍💻', "'; --", '"', '\\', '%s', '{{x}}'];
const troubleString = fc
  .array(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(...TROUBLE), fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit))), {
    maxLength: 6,
  })
  .map((parts) => parts.join(''));
/** A long string, sent in full but shown by its length when fast-check reports a case. */
class LongText {
  constructor(readonly length: number) {}
  toJSON(): string {
    return 'x'.repeat(this.length);
  }
  [fc.toStringMethod](): string {
    return `LongText(${this.length})`;
  }
}
const hugeString = fc.integer({ min: 10_000, max: 300_000 }).map((length) => new LongText(length));
const hostileString = fc.oneof({ weight: 24, arbitrary: troubleString }, { weight: 12, arbitrary: fc.string() }, { weight: 1, arbitrary: hugeString });

const nested = (depth: number, asArray: boolean): unknown => {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level++) value = asArray ? [value] : { k: value };
  return value;
};
// Around the subgraphs' JSON limit (64) and past the gateway's body limit (128).
const deepJson = fc
  .tuple(fc.oneof(fc.integer({ min: 30, max: 120 }), fc.integer({ min: 120, max: 3000 })), fc.boolean())
  .map(([depth, asArray]) => nested(depth, asArray));
const hostileKeys = fc.dictionary(troubleString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
const jsonArgument = fc.oneof(fc.jsonValue({ maxDepth: 4 }), deepJson, hostileKeys, fc.dictionary(fc.string(), troubleString, { maxKeys: 3 }));

const hugeNumber = fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 1e30, -1e308, Number.MAX_SAFE_INTEGER + 2, 0.5, -0);
const OUT_OF_RANGE_DATES = ['0000-01-01T00:00:00Z', '+010000-01-01T00:00:00Z', '+275760-09-13T00:00:00.001Z', '-000001-06-01T00:00:00Z', '2026-02-30T25:61:00Z', 'yesterday', ''];
const dateArgument = fc.oneof(
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  fc.constantFrom(...OUT_OF_RANGE_DATES),
  fc.integer(),
  hostileString,
);
const idArgument = fc.oneof(fc.uuid(), fc.constantFrom('', 'nope', `${randomUUID()}x`, '00000000-0000-0000-0000-000000000000'), hostileString, fc.integer());
const anyValue = fc.oneof(hostileString, fc.jsonValue({ maxDepth: 3 }), hugeNumber, fc.boolean(), fc.constant(null));

/** Usually a value of the variable's type, sometimes anything at all. */
const mostly = <T>(typed: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: typed as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: anyValue });
const optional = <T>(value: fc.Arbitrary<T>) => fc.option(mostly(value), { nil: undefined });

/** Operations of the schema, each with an arbitrary of its variables. */
const OPERATIONS: { document: string; variables: fc.Arbitrary<Record<string, unknown>> }[] = [
  {
    document: `mutation Q($input: CreateProfileInput!) { createProfile(input: $input) { id externalId name properties } }`,
    variables: fc.record({
      input: mostly(
        fc.record(
          { externalId: hostileString, anonymousId: hostileString, email: hostileString, phone: hostileString, name: hostileString, properties: jsonArgument },
          { requiredKeys: [] },
        ),
      ),
    }),
  },
  {
    document: `mutation Q($id: ID!, $properties: JSON!) { updateProfileProperties(id: $id, properties: $properties) { id } }`,
    variables: fc.record({ id: mostly(idArgument), properties: mostly(jsonArgument) }),
  },
  {
    document: `mutation Q($input: TrackEventInput!) { track(input: $input) { id name } }`,
    variables: fc.record({
      input: mostly(
        fc.record(
          { profileId: idArgument, userId: hostileString, anonymousId: hostileString, messageId: hostileString, name: hostileString, properties: jsonArgument, timestamp: dateArgument },
          { requiredKeys: ['name'] },
        ),
      ),
    }),
  },
  {
    document: `mutation Q($input: CreateSegmentInput!) { createSegment(input: $input) { id } }`,
    variables: fc.record({
      input: mostly(
        fc.record({ name: hostileString, description: optional(hostileString), kind: fc.constantFrom('STATIC', 'DYNAMIC', 'static', 'OTHER'), rules: optional(jsonArgument) }),
      ),
    }),
  },
  { document: `mutation Q($id: ID!) { revokeApiKey(id: $id) { id } }`, variables: fc.record({ id: mostly(idArgument) }) },
  { document: `mutation Q($id: ID!) { rotateApiKey(id: $id) { key } }`, variables: fc.record({ id: mostly(idArgument) }) },
  { document: `mutation Q($id: ID!) { eraseProfile(id: $id) }`, variables: fc.record({ id: mostly(idArgument) }) },
  {
    document: `mutation Q($segmentId: ID!, $profileIds: [ID!]!) { addSegmentMembers(segmentId: $segmentId, profileIds: $profileIds) { id } }`,
    variables: fc.record({ segmentId: mostly(idArgument), profileIds: mostly(fc.array(idArgument, { maxLength: 5 })) }),
  },
  {
    document: `mutation Q($input: CreateEmailTemplateInput!) { createEmailTemplate(input: $input) { id } }`,
    variables: fc.record({ input: mostly(fc.record({ name: hostileString, subject: hostileString, htmlBody: hostileString, textBody: optional(hostileString) })) }),
  },
  { document: `query Q($id: ID!) { profile(id: $id) { id email properties } }`, variables: fc.record({ id: mostly(idArgument) }) },
  { document: `query Q($id: ID!) { profileExport(id: $id) { profileId profile } }`, variables: fc.record({ id: mostly(idArgument) }) },
  { document: `query Q($id: ID!) { segment(id: $id) { id name } }`, variables: fc.record({ id: mostly(idArgument) }) },
  { document: `query Q($id: ID!) { event(id: $id) { id } }`, variables: fc.record({ id: mostly(idArgument) }) },
  { document: `query Q($id: ID!) { call(id: $id) { id } }`, variables: fc.record({ id: mostly(idArgument) }) },
  { document: `query Q($id: ID!) { campaign(id: $id) { id } }`, variables: fc.record({ id: mostly(idArgument) }) },
  { document: `query Q($id: ID!) { journey(id: $id) { id } }`, variables: fc.record({ id: mostly(idArgument) }) },
  { document: `query Q($id: ID!, $data: JSON) { renderEmailTemplate(id: $id, data: $data) { subject } }`, variables: fc.record({ id: mostly(idArgument), data: optional(jsonArgument) }) },
  {
    document: `query Q($first: Int!, $after: String, $filter: ProfileFilter) { profiles(first: $first, after: $after, filter: $filter) { edges { node { id } } pageInfo { endCursor } } }`,
    variables: fc.record(
      { first: mostly(fc.oneof(fc.integer({ min: -5, max: 200 }), hugeNumber)), after: hostileString, filter: fc.record({ propertyEquals: jsonArgument, hasUserId: fc.boolean() }, { requiredKeys: [] }) },
      { requiredKeys: ['first'] },
    ),
  },
  {
    document: `query Q($kind: IdentityKind!, $value: String!) { profileByIdentity(kind: $kind, value: $value) { id } }`,
    variables: fc.record({ kind: fc.constantFrom('USER_ID', 'ANONYMOUS_ID', 'EMAIL', 'user_id', 'NOPE'), value: mostly(hostileString) }),
  },
  {
    document: `query Q($since: DateTime, $until: DateTime, $name: String, $propertyEquals: JSON, $after: String) {
      events(first: 5, since: $since, until: $until, name: $name, propertyEquals: $propertyEquals, after: $after) { edges { node { id } } } }`,
    variables: fc.record(
      { since: mostly(dateArgument), until: mostly(dateArgument), name: mostly(hostileString), propertyEquals: mostly(jsonArgument), after: mostly(hostileString) },
      { requiredKeys: [] },
    ),
  },
  {
    document: `query Q($from: DateTime!, $to: DateTime!) { callAnalytics(from: $from, to: $to) { __typename } }`,
    variables: fc.record({ from: mostly(dateArgument), to: mostly(dateArgument) }),
  },
  { document: `query Q { project { id name } apiKeys { id name } }`, variables: fc.constant({}) },
];

/** Printable ASCII: what a header may carry (fetch refuses anything else before sending). */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 300 });
const operationName = fc.oneof(
  { weight: 6, arbitrary: fc.constant('Q') },
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
);

describe('the GraphQL API under random, malformed and hostile input', () => {
  let platform: RunningPlatform;
  let fuzzed: CreatedProject;
  let checked: CreatedProject;

  const createProject = async (name: string) => {
    const result = await platform.graphql<{ createProject: CreatedProject }>(
      `mutation($name: String!) { createProject(input: { name: $name }) { project { id } publishableKey { key } secretKey { key apiKey { id } } } }`,
      { name },
      bearer(platform.adminToken),
    );
    expect(result.errors).toBeUndefined();
    return result.data!.createProject;
  };

  beforeAll(async () => {
    platform = await startTestPlatform({ LOG_LEVEL: 'warn' });
    // One project takes the random traffic; the writes property counts rows in another.
    fuzzed = await createProject('Fuzzed');
    checked = await createProject('Checked');
  }, 240_000);
  afterAll(() => platform?.stop(), 60_000);

  const send = async (init: { method?: string; headers?: Record<string, string | undefined>; body?: string; query?: string }): Promise<Answer> => {
    const headers = Object.fromEntries(Object.entries(init.headers ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));
    const url = init.query === undefined ? platform.gatewayUrl : `${platform.gatewayUrl}?${init.query}`;
    const response = await fetch(url, { method: init.method ?? 'POST', headers, body: init.body });
    const text = await response.text();
    let json: GraphQLAnswer | undefined;
    try {
      json = JSON.parse(text) as GraphQLAnswer;
    } catch {
      json = undefined;
    }
    return { status: response.status, text, json };
  };

  const graphql = (document: string, variables: unknown, key: string) =>
    send({ headers: { 'content-type': 'application/json', ...bearer(key) }, body: JSON.stringify({ query: document, variables }) });

  /** Mostly the project's secret key, so most requests get past the gateway; then anything. */
  const authorization = () =>
    fc.oneof(
      { weight: 10, arbitrary: fc.constant(`Bearer ${fuzzed.secretKey.key}`) },
      { weight: 2, arbitrary: fc.constant(`Bearer ${fuzzed.publishableKey.key}`) },
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: headerText },
      { weight: 1, arbitrary: headerText.map((text) => `Bearer ${text}`) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('sk_', 'pk_'), fc.nat(3000)).map(([prefix, length]) => `Bearer ${prefix}${'a'.repeat(length)}`) },
      { weight: 1, arbitrary: fc.constantFrom('Bearer', 'Basic dXNlcjpwYXNz', `Bearer ${fuzzed.secretKey.key} more`, `bearer ${fuzzed.secretKey.key}x`) },
    );

  const bodiesProperty = () => {
    const validBody = fc.constantFrom(...OPERATIONS).map(({ document }) => JSON.stringify({ query: document, variables: {} }));
    const body = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc
        .record({ query: fc.oneof(fc.string(), validBody, fc.jsonValue()), variables: fc.jsonValue(), operationName, extensions: fc.jsonValue() }, { requiredKeys: [] })
        .map((value) => JSON.stringify(value)),
      validBody.chain((text) => fc.nat(text.length).map((cut) => text.slice(0, cut))),
      fc.nat(5000).map((depth) => `{"query":"query($d: JSON) { __typename }","variables":{"d":${'['.repeat(depth)}${']'.repeat(depth)}}}`),
      fc.nat(3000).map((depth) => JSON.stringify({ query: `{ ${'profile(id: "x") { '.repeat(depth)}id${' }'.repeat(depth)} }` })),
      fc.constantFrom(1_040_000, 1_100_000).map((size) => JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(size) } })),
    );
    const contentType = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/graphql-response+json',
      'application/json; charset=utf-16',
      'text/plain',
      'application/x-www-form-urlencoded',
      undefined,
    );
    const request = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({ method: fc.constant('POST'), body, contentType, authorization: authorization(), apiKey: fc.option(headerText, { nil: undefined }), internal: fc.boolean() }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          method: fc.constantFrom('GET', 'DELETE', 'PUT'),
          query: fc.oneof(fc.string(), validBody.map((text) => `query=${encodeURIComponent(JSON.parse(text).query)}`)),
          authorization: authorization(),
        }),
      },
    );
    return fc.asyncProperty(request, async (generated) => {
      const headers: Record<string, string | undefined> = { authorization: generated.authorization };
      if ('body' in generated) {
        headers['content-type'] = generated.contentType;
        headers['x-api-key'] = generated.apiKey;
        // The internal headers only the gateway may send to subgraphs; the gateway refuses them.
        if (generated.internal) headers['x-boomerang-context'] = 'forged';
        expectSafe(await send({ method: 'POST', headers, body: generated.body }));
      } else {
        // Apollo's CSRF prevention refuses a GET without it before reading the query.
        headers['apollo-require-preflight'] = 'true';
        expectSafe(await send({ method: generated.method, headers, query: generated.query }));
      }
    });
  };

  const operationsProperty = () =>
    fc.asyncProperty(
      fc.constantFrom(...OPERATIONS).chain(({ document, variables }) => fc.record({ document: fc.constant(document), variables: mostly(variables), operationName, authorization: authorization() })),
      async ({ document, variables, operationName: name, authorization: auth }) => {
        expectSafe(
          await send({
            headers: { 'content-type': 'application/json', authorization: auth },
            body: JSON.stringify({ query: document, variables, ...(name === undefined ? {} : { operationName: name }) }),
          }),
        );
      },
    );

  /**
   * Writes through the secret key; when the answer is an error, nothing of it may be stored. Only
   * this property writes to the checked project, so it can keep the counts it expects.
   */
  const writesProperty = () => {
    const profileWrite = fc.record({
      kind: fc.constant('profile' as const),
      input: fc.record({ anonymousId: hostileString, email: hostileString, phone: hostileString, name: hostileString, properties: jsonArgument }, { requiredKeys: [] }),
    });
    const keyWrite = fc.record({ kind: fc.constant('key' as const), input: fc.record({ kind: fc.constantFrom('SECRET', 'PUBLISHABLE', 'ADMIN'), name: mostly(hostileString) }) });
    const segmentWrite = fc.record({
      kind: fc.constant('segment' as const),
      input: fc.record({ name: mostly(hostileString), kind: fc.constantFrom('STATIC', 'DYNAMIC'), rules: optional(jsonArgument) }, { requiredKeys: ['name', 'kind'] }),
    });
    const key = () => checked.secretKey.key;
    const countOf = async (query: string, field: string) => {
      const answer = await graphql(query, {}, key());
      expect(answer.json?.errors).toBeUndefined();
      return (answer.json!.data![field] as unknown[]).length;
    };
    const counts = new Map<string, number>();
    return fc.asyncProperty(fc.oneof(profileWrite, keyWrite, segmentWrite), async (write) => {
      if (write.kind === 'profile') {
        // A clean, unique user id marks the profile, whatever the other fields hold.
        const marker = `fuzz-${randomUUID()}`;
        const answer = await graphql(`mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }`, { input: { ...write.input, externalId: marker } }, key());
        expectSafe(answer);
        const stored = await graphql(`query($value: String!) { profileByIdentity(kind: USER_ID, value: $value) { id } }`, { value: marker }, key());
        expectSafe(stored);
        const found = (stored.json?.data?.profileByIdentity as { id: string } | null | undefined) ?? null;
        if (answer.json?.errors?.length) expect(found).toBeNull();
        else expect(found?.id).toBe((answer.json?.data?.createProfile as { id: string }).id);
        return;
      }
      const [list, field, mutation] =
        write.kind === 'key'
          ? [`{ apiKeys { id } }`, 'apiKeys', `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }`]
          : [`{ segments { id } }`, 'segments', `mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id } }`];
      const before = counts.get(field) ?? (await countOf(list, field));
      const answer = await graphql(mutation, { input: write.input }, key());
      expectSafe(answer);
      const after = await countOf(list, field);
      counts.set(field, after);
      expect(after).toBe(before + (answer.json?.errors?.length ? 0 : 1));
    });
  };

  it(
    `keeps every answer below 500, free of internals, and writes nothing it refused (${CASES} cases)`,
    async () => {
      const runs = (share: number) => ({ numRuns: Math.max(1, Math.round(CASES * share)) });
      const outcomes = await Promise.allSettled([
        fc.assert(bodiesProperty(), runs(SHARE.bodies)),
        fc.assert(operationsProperty(), runs(SHARE.operations / 2)),
        fc.assert(operationsProperty(), runs(SHARE.operations / 2)),
        fc.assert(writesProperty(), runs(SHARE.writes)),
      ]);
      for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
    },
    300_000,
  );
});
