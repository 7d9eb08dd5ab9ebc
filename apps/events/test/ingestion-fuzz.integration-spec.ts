import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { EVENT_TYPES, type ResolveApiKeyReply } from '@boomerang/contracts';
import type { TestSubgraph } from '@boomerang/platform/testing';
import { ingestCredentials, startIngestSubgraph, stopIngestSubgraph, type IngestCredentials } from './support.js';

/** The ingest half of the fuzz budget on CI (GraphQL's fuzz runs the other 5,000); a quick pass locally. */
const NUM_RUNS = process.env.CI === 'true' ? 5000 : 400;

/** Every ingestion endpoint that takes a body, Segment's short paths included. */
const SEGMENT_PATHS = ['/v1/batch', '/v1/import', '/v1/b', ...EVENT_TYPES.flatMap((type) => [`/v1/${type}`, `/v1/${type.charAt(0)}`])];
const CLEVERTAP_PATH = '/1/upload';

/** Stands for an invalid UTF-8 sequence: its bytes (EE 80 80) are swapped for the case's sequence once the body is encoded. */
const INVALID_UTF8_SLOT = '\ue000';
const INVALID_UTF8 = [[0xff], [0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]];

const DAY_MS = 24 * 3600 * 1000;
const entriesText = (entries: readonly (readonly [string, string])[]) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;
/** An object's JSON text from its fields' JSON texts (undefined: absent). */
const objectText = (fields: Record<string, string | undefined>) => entriesText(Object.entries(fields).flatMap(([key, value]) => (value === undefined ? [] : [[key, value] as const])));

// Strings that PostgreSQL, the UTF-8 decoder or JSON make awkward (INVALID_UTF8_SLOT becomes invalid UTF-8 on the wire).
const awkwardPiece = fc.constantFrom(
  '\ud800', '\udc00', '\udbff', '\udfff', '\ud83d', '\u0000', '\u0001', '\u001f', '\u007f', '\u2028', '\t', '\n', '\\', '"', '😀', '\ufffd',
  '__proto__', '$D_1700000000', '$D_99999999999', INVALID_UTF8_SLOT,
);
const hugeText = fc.tuple(fc.constantFrom(2_000, 40_000, 200_000), fc.constantFrom('x', 'é', '😀', '\ud800')).map(([length, unit]) => unit.repeat(length));
const awkwardNumber = fc.constantFrom('1e400', '-1e400', '1e-400', '-0', '123456789012345678901234567890', '1E+308', '5e-324');
const deepJson = (leaf: fc.Arbitrary<string>) =>
  fc
    .tuple(fc.constantFrom(31, 32, 33, 100, 5_000, 100_000), fc.boolean(), leaf)
    .map(([depth, arrays, value]) => (arrays ? `${'['.repeat(depth)}${value}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}${value}${'}'.repeat(depth)}`));
const wideJson = fc.integer({ min: 100, max: 2_000 }).map((width) => `{${Array.from({ length: width }, (_, i) => `"k${i}":${i}`).join(',')}}`);
const hostileInstant = fc.oneof(
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  fc.constantFrom(
    '0000-01-01T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00.000Z', '0001-01-01T00:00:00+01:00', '9999-12-31T23:00:00-02:00',
    '9999-12-31T23:59:59.999Z', '1899-12-31T23:59:59.999Z', '1900-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '2024-02-30T00:00:00Z', '2024-01-01T24:00:00Z',
    '2024-01-01T00:00:60Z', '2024-01-01T00:00:00', '2024-01-01', 'yesterday', '',
  ),
  fc
    .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 24 }), fc.constantFrom('Z', '+14:00', '-23:59', '+00:00'))
    .map(([y, mo, d, h, zone]) => `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00${zone}`),
);

/**
 * The JSON text arbitraries of one kind of request: `plausible` ones are what a correct client
 * sends (most are accepted and written); hostile ones add every awkward string, number, date,
 * depth and width, and a wrong type now and then in every field.
 */
function requestBodies(hostile: boolean) {
  const cleanText = fc.string({ unit: 'grapheme', maxLength: 8 });
  const text = hostile ? fc.array(fc.oneof({ weight: 3, arbitrary: cleanText }, { weight: 1, arbitrary: awkwardPiece }), { maxLength: 4 }).map((parts) => parts.join('')) : cleanText;
  const jsonString = (hostile ? fc.oneof({ weight: 40, arbitrary: text }, { weight: 1, arbitrary: hugeText }) : text).map((value) => JSON.stringify(value));
  const numbers = [fc.double().map((value) => JSON.stringify(value)), fc.integer().map(String)];
  const jsonNumber = hostile ? fc.oneof(...numbers, awkwardNumber) : fc.oneof(...numbers);
  const jsonLeaf = fc.oneof(jsonString, jsonNumber, fc.constantFrom('true', 'false', 'null'));
  const jsonKey = fc.oneof(fc.constantFrom('a', 'name', 'email', 'Name', 'MSG-email', '$add', '$incr', '$delete', 'device'), text);
  const { tree: jsonTree, object: jsonObjectTree } = fc.letrec<{ tree: string; object: string }>((tie) => ({
    tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, jsonLeaf, tie('object'), fc.array(tie('tree'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`)),
    object: fc.array(fc.tuple(jsonKey, tie('tree')), { maxLength: 4 }).map(entriesText),
  }));
  /** Any JSON at all: a wrong type, a hostile tree or an absurd size. */
  const anyJson = hostile ? fc.oneof({ weight: 8, arbitrary: jsonTree }, { weight: 1, arbitrary: deepJson(jsonLeaf) }, { weight: 1, arbitrary: wideJson }) : jsonTree;
  const objectJson = hostile ? fc.oneof({ weight: 4, arbitrary: jsonObjectTree }, { weight: 1, arbitrary: anyJson }) : jsonObjectTree;
  /** A field's JSON text: a value of its kind, or (hostile) sometimes anything. */
  const field = (valid: fc.Arbitrary<string>) => (hostile ? fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: anyJson }) : valid);
  const id = fc.stringMatching(/^[a-z0-9-]{1,12}$/);
  const identity = (hostile ? fc.oneof({ weight: 4, arbitrary: id }, { weight: 1, arbitrary: text }) : id).map((value) => JSON.stringify(value));
  // Within half a year either way: clock-skew correction keeps it within a year of receipt.
  const recent = fc.integer({ min: -150 * DAY_MS, max: 150 * DAY_MS }).map((offset) => new Date(Date.now() + offset).toISOString());
  const instant = (hostile ? fc.oneof(recent, hostileInstant) : recent).map((value) => JSON.stringify(value));

  const segmentMessage = fc
    .record(
      {
        type: field(fc.constantFrom(...EVENT_TYPES).map((type) => JSON.stringify(type))),
        userId: field(identity),
        anonymousId: field(identity),
        messageId: field(identity),
        event: field(identity),
        name: field(identity),
        category: field(identity),
        groupId: field(identity),
        previousId: field(identity),
        timestamp: field(instant),
        originalTimestamp: field(instant),
        sentAt: field(instant),
        properties: objectJson,
        traits: objectJson,
        context: objectJson,
        integrations: objectJson,
      },
      { requiredKeys: hostile ? [] : ['type', 'userId', 'event', 'groupId', 'previousId'] },
    )
    .map(objectText);
  const batch = (messages: fc.Arbitrary<string[]>) =>
    fc.record({ batch: messages.map((items) => `[${items.join(',')}]`), sentAt: field(instant), context: objectJson }, { requiredKeys: ['batch'] }).map(objectText);
  const segmentBatch = fc.oneof({ weight: 8, arbitrary: batch(fc.array(segmentMessage, { maxLength: 6 })) }, { weight: 1, arbitrary: batch(fc.array(segmentMessage, { minLength: 20, maxLength: 50 })) });

  const profileValue = fc.oneof(
    { weight: 4, arbitrary: jsonLeaf },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('$add', '$remove', '$incr', '$decr', '$delete', '$set'), jsonTree).map(([operator, operand]) => `{${JSON.stringify(operator)}:${operand}}`) },
  );
  const clevertapRecord = fc
    .record(
      {
        type: field(fc.constantFrom('event', 'profile').map((type) => JSON.stringify(type))),
        identity: field(identity),
        objectId: field(identity),
        ts: field(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1_600_000_000, max: 1_790_000_000 }).map(String) }, { weight: 1, arbitrary: fc.constantFrom('0', '-1', '1.5', '1e400', '99999999999', '1700000000000', '"1700000000"') })),
        evtName: field(identity),
        evtData: objectJson,
        profileData: fc.oneof(fc.array(fc.tuple(jsonKey, profileValue), { maxLength: 5 }).map(entriesText), objectJson),
      },
      { requiredKeys: hostile ? [] : ['type', 'identity', 'evtName', 'profileData'] },
    )
    .map(objectText);
  // Equal records without ts: the second is reported, not counted.
  const twice = fc.constant('{"type":"event","objectId":"same","evtName":"Twice"}');
  const clevertapUpload = fc.array(fc.oneof({ weight: 4, arbitrary: clevertapRecord }, { weight: 1, arbitrary: twice }), { maxLength: 6 }).map((records) => `{"d":[${records.join(',')}]}`);
  return hostile
    ? { segmentBatch: fc.oneof(segmentBatch, segmentMessage, anyJson), segmentMessage: fc.oneof(segmentMessage, segmentBatch, anyJson), clevertapUpload: fc.oneof(clevertapUpload, anyJson) }
    : { segmentBatch, segmentMessage, clevertapUpload };
}

const BATCH_PATHS = ['/v1/batch', '/v1/import', '/v1/b'];
const plausible = requestBodies(false);
const hostile = requestBodies(true);
/** Who the request claims to be: mostly a valid key. */
const segmentCaller = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('pk', 'sk') }, { weight: 1, arbitrary: fc.constantFrom('revoked', 'unknown', 'none', 'body', 'malformed', 'bearer') });
const clevertapCaller = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('pk', 'sk') }, { weight: 1, arbitrary: fc.constantFrom('wrong-account', 'no-passcode', 'revoked') });
const request = (bodies: ReturnType<typeof requestBodies>) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.record({ path: fc.constantFrom(...BATCH_PATHS), body: bodies.segmentBatch, caller: segmentCaller }) },
    { weight: 2, arbitrary: fc.record({ path: fc.constantFrom(...SEGMENT_PATHS.filter((path) => !BATCH_PATHS.includes(path))), body: bodies.segmentMessage, caller: segmentCaller }) },
    { weight: 1, arbitrary: fc.record({ path: fc.constant(CLEVERTAP_PATH), body: bodies.clevertapUpload, caller: clevertapCaller }) },
  );
/** How the body travels: its Content-Encoding and what is done to its bytes. */
const encoding = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('none', 'gzip') },
  { weight: 1, arbitrary: fc.constantFrom('GZIP', 'identity', 'gzip-announced-plain', 'gzip-unannounced', 'gzip-corrupt', 'br', 'deflate', 'gzip, identity') },
);
const byteDamage = fc.oneof({ weight: 30, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.nat() });

const fuzzCase = fc.record({
  request: fc.oneof({ weight: 3, arbitrary: request(plausible) }, { weight: 2, arbitrary: request(hostile) }),
  encoding,
  invalidUtf8: fc.constantFrom(...INVALID_UTF8),
  truncateAt: byteDamage,
});

type FuzzCase = typeof fuzzCase extends fc.Arbitrary<infer T> ? T : never;

/** What an answer's JSON text must never show: a stack trace (`\n    at …`, escaped) or a path on the server. */
const INTERNALS = /\\n\s+at \S|\/work\/|\/home\/|node_modules|\.[jt]s:\d+:\d+/;
/** The Content-Encoding each encoding case announces (the others announce themselves). */
const ANNOUNCED: Record<string, string | undefined> = { none: undefined, 'gzip-unannounced': undefined, 'gzip-announced-plain': 'gzip', 'gzip-corrupt': 'gzip' };

/** Requests in flight at once, each lane with its own project and keys: the write path groups them as it does real traffic. */
const LANES = 4;

type Answer = {
  success?: boolean;
  error?: { field?: string; message?: string } | string;
  field?: string;
  unprocessed?: { error: string }[];
};

describe('events ingestion API under fuzzing (every body, header and key: a 2xx or a 4xx naming a field, never a 5xx or a partial write)', () => {
  let sut: TestSubgraph;
  let baseUrl: string;
  let db: DataSource;
  const lanes = Array.from({ length: LANES }, () => ingestCredentials());

  beforeAll(async () => {
    let keys: Map<string, ResolveApiKeyReply>;
    ({ sut, baseUrl, db, keys } = await startIngestSubgraph(lanes[0]!));
    for (const { project, pk, sk } of lanes.slice(1)) {
      keys.set(pk, { ok: true, projectId: project, keyId: randomUUID(), scope: 'publishable' });
      keys.set(sk, { ok: true, projectId: project, keyId: randomUUID(), scope: 'secret' });
    }
  });
  afterAll(() => stopIngestSubgraph(sut));

  /**
   * The newest event of the lane's project: event ids are UUIDv7, so any event stored later has a
   * greater id (its messageId claim commits with it). A lane's keys write to its project only.
   */
  const newestEvent = async ({ project }: IngestCredentials): Promise<string | null> => {
    const [row] = (await db.query(`SELECT id::text FROM event WHERE project_id = $1 ORDER BY id DESC LIMIT 1`, [project])) as { id: string }[];
    return row?.id ?? null;
  };

  const bodyBytes = ({ request, encoding, invalidUtf8, truncateAt }: FuzzCase, lane: IngestCredentials): Buffer => {
    // Segment's fallback when there is no Authorization header: the write key in the body.
    const body = request.caller === 'body' ? request.body.replace(/^\{/, `{"writeKey":${JSON.stringify(lane.pk)},`) : request.body;
    const encoded = Buffer.from(body, 'utf8');
    const slot = Buffer.from(INVALID_UTF8_SLOT, 'utf8');
    const parts: Buffer[] = [];
    let from = 0;
    for (let at = encoded.indexOf(slot); at !== -1; at = encoded.indexOf(slot, from)) {
      parts.push(encoded.subarray(from, at), Buffer.from(invalidUtf8));
      from = at + slot.length;
    }
    parts.push(encoded.subarray(from));
    let bytes = Buffer.concat(parts);
    if (truncateAt !== undefined) bytes = bytes.subarray(0, truncateAt % (bytes.length + 1));
    if (encoding === 'gzip' || encoding === 'GZIP' || encoding === 'gzip-unannounced') return gzipSync(bytes);
    if (encoding === 'gzip-corrupt') {
      const zipped = gzipSync(bytes);
      zipped[Math.floor(zipped.length / 2)] ^= 0xff;
      return zipped;
    }
    return bytes;
  };

  const headersOf = ({ request, encoding }: FuzzCase, lane: IngestCredentials): Record<string, string> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const contentEncoding = encoding in ANNOUNCED ? ANNOUNCED[encoding] : encoding;
    if (contentEncoding !== undefined) headers['content-encoding'] = contentEncoding;
    const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
    if (request.path === CLEVERTAP_PATH) {
      const passcode = { pk: lane.pk, sk: lane.sk, 'wrong-account': lane.pk, 'no-passcode': undefined, revoked: 'pk_revoked' }[request.caller as string];
      headers['x-clevertap-account-id'] = request.caller === 'wrong-account' ? lane.other : lane.project;
      if (passcode) headers['x-clevertap-passcode'] = passcode;
      return headers;
    }
    const authorization = {
      pk: basic(lane.pk),
      sk: basic(lane.sk),
      revoked: basic('pk_revoked'),
      unknown: basic('pk_nobody'),
      malformed: 'Basic %%%',
      bearer: `Bearer ${lane.pk}`,
    }[request.caller as string];
    if (authorization) headers.authorization = authorization;
    return headers;
  };

  /** One request: never a 5xx; JSON without internals; a 4xx names a field and stores nothing. */
  const check = async (fuzz: FuzzCase, lane: IngestCredentials): Promise<void> => {
    const { request } = fuzz;
    const before = await newestEvent(lane);
    const response = await fetch(`${baseUrl}${request.path}`, { method: 'POST', headers: headersOf(fuzz, lane), body: new Uint8Array(bodyBytes(fuzz, lane)), signal: AbortSignal.timeout(30_000) });
    const answerText = await response.text();
    expect(response.status).toBeLessThan(500);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const answer = JSON.parse(answerText) as Answer;
    expect(answerText).not.toMatch(INTERNALS);
    if (response.status >= 400) {
      // Named: Segment's `error.field`, CleverTap's `field`; a refused body's rule starts with it (`batch[3].userId: must be a string`).
      const named = typeof answer.error === 'object' ? answer.error.field : answer.field;
      expect(typeof named === 'string' && named.length > 0).toBe(true);
      const rule = typeof answer.error === 'object' ? answer.error.message : answer.error;
      if (response.status === 400) expect(rule?.startsWith(`${named}: `)).toBe(true);
      expect(await newestEvent(lane)).toBe(before);
    } else if (request.path === CLEVERTAP_PATH) {
      // The field first (a key that would blur it quoted: `profileData[":"]`), then the rule.
      for (const unprocessed of answer.unprocessed ?? []) expect(unprocessed.error).toMatch(/^(?:[^:"]|"(?:[^"\\]|\\.)*")+: \S/);
    } else {
      expect(answer).toMatchObject({ success: true });
    }
  };

  it(
    `answers ${NUM_RUNS} random requests with a 2xx, or a 4xx naming a field and storing nothing`,
    async () => {
      await Promise.all(
        lanes.map((lane) => fc.assert(fc.asyncProperty(fuzzCase, (fuzz) => check(fuzz, lane)), { numRuns: Math.ceil(NUM_RUNS / LANES) })),
      );
    },
    15 * 60_000,
  );
});
