import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { DataSource } from 'typeorm';
import type { ResolveApiKeyReply } from '@boomerang/contracts';
import type { TestSubgraph } from '@boomerang/platform/testing';
import type { EventRow } from '../src/events/event.entity.js';
import { ingestCredentials, publishedEvents, startIngestSubgraph, stopIngestSubgraph } from './support.js';

type StoredEvent = Pick<EventRow, 'message_id' | 'type' | 'name' | 'user_id' | 'anonymous_id' | 'properties' | 'timestamp'>;

interface UploadAnswer {
  status: string;
  processed: number;
  unprocessed: { index: number; status: string; code: number; error: string; record: unknown }[];
}

describe('events ingestion API (CleverTap-compatible /1/upload)', () => {
  let sut: TestSubgraph;
  let baseUrl: string;
  let db: DataSource;
  let keys: Map<string, ResolveApiKeyReply>;
  const credentials = ingestCredentials();
  const { project, other, pk, sk, pkOther } = credentials;

  beforeAll(async () => {
    ({ sut, baseUrl, db, keys } = await startIngestSubgraph(credentials));
  });
  afterAll(() => stopIngestSubgraph(sut));

  const stored = (projectId: string): Promise<StoredEvent[]> =>
    db.query(`SELECT * FROM event WHERE project_id = $1 ORDER BY "timestamp", message_id`, [projectId]);

  const published = (projectId: string) => publishedEvents(sut, projectId);

  const upload = (body: unknown, { account = project, passcode = pk, gzip = false }: { account?: string | null; passcode?: string | null; gzip?: boolean } = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (account) headers['x-clevertap-account-id'] = account;
    if (passcode) headers['x-clevertap-passcode'] = passcode;
    if (gzip) headers['content-encoding'] = 'gzip';
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return fetch(`${baseUrl}/1/upload`, { method: 'POST', headers, body: gzip ? gzipSync(text) : text });
  };

  const ts = 1_767_225_600; // 2026-01-01T00:00:00Z
  const records = [
    { type: 'event', identity: 'ct-user-1', ts, evtName: 'Charged', evtData: { Amount: 300, Delivered: '$D_1767312000' } },
    { type: 'event', objectId: 'ct-anon-1', evtName: 'App Launched' }, // no ts: now
    {
      type: 'profile',
      identity: 'ct-user-1',
      ts: ts + 60,
      profileData: {
        Name: 'Ada',
        Plan: 'gold',
        Joined: '$D_1767225600',
        score: { $incr: 5 },
        credits: { $decr: 2 },
        tags: { $add: ['vip', 'beta'] },
        badges: { $remove: 'old' },
        legacy: { $delete: true },
        'MSG-email': false,
        'MSG-dndPhone': true,
      },
    },
    { type: 'event', evtName: 'Orphan', ts }, // 3: no identity
    { type: 'event', identity: 'ct-user-1', ts, evtData: {} }, // 4: no evtName
    { type: 'event', identity: 'ct-user-1', ts, evtName: 'Bad data', evtData: [1, 2] }, // 5
    { type: 'event', identity: 'ct-user-1', ts: 'yesterday', evtName: 'Bad ts' }, // 6
    { type: 'page', identity: 'ct-user-1', ts }, // 7
    { type: 'profile', identity: 'ct-user-1', ts, profileData: { score: { $incr: 'five' } } }, // 8
    { type: 'profile', identity: 'ct-user-1', ts, profileData: { 'MSG-sms': 'no' } }, // 9
  ];

  it('stores the good records, lists the bad ones by index and field, and publishes converted traits', async () => {
    const before = Date.now();
    const response = await upload({ d: records }, { gzip: true });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as UploadAnswer;
    expect(answer).toMatchObject({ status: 'partial', processed: 3 });
    expect(answer.unprocessed.map(({ index, code, error }) => ({ index, code, field: error.split(':')[0] }))).toEqual([
      { index: 3, code: 400, field: 'identity' },
      { index: 4, code: 400, field: 'evtName' },
      { index: 5, code: 400, field: 'evtData' },
      { index: 6, code: 400, field: 'ts' },
      { index: 7, code: 400, field: 'type' },
      { index: 8, code: 400, field: 'profileData.score' },
      { index: 9, code: 400, field: 'profileData.MSG-sms' },
    ]);
    expect(answer.unprocessed[0]!.record).toEqual(records[3]);
    expect(answer.unprocessed[3]!.error).toBe('ts: must be a whole number of epoch seconds');

    const rows = await stored(project);
    expect(rows).toHaveLength(3);
    const charged = rows.find((row) => row.name === 'Charged')!;
    expect(charged).toMatchObject({ type: 'track', user_id: 'ct-user-1', anonymous_id: null, properties: { Amount: 300, Delivered: '2026-01-02T00:00:00.000Z' } });
    expect(charged.timestamp.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    const launched = rows.find((row) => row.name === 'App Launched')!;
    expect(launched).toMatchObject({ type: 'track', user_id: null, anonymous_id: 'ct-anon-1', properties: {} });
    expect(launched.timestamp.getTime()).toBeGreaterThanOrEqual(before - 1000);
    const traits = {
      name: 'Ada',
      Plan: 'gold',
      Joined: '2026-01-01T00:00:00.000Z',
      score: { $incr: 5 },
      credits: { $decr: 2 },
      tags: { $add: ['vip', 'beta'] },
      badges: { $remove: 'old' },
      legacy: { $delete: true },
      'MSG-email': false,
      'MSG-dndPhone': true,
    };
    expect(rows.find((row) => row.type === 'identify')).toMatchObject({ name: 'identify', user_id: 'ct-user-1', properties: traits });

    const messages = await published(project);
    expect(messages).toHaveLength(3);
    expect(messages.find((body) => body.type === 'identify')).toMatchObject({ projectId: project, userId: 'ct-user-1', traits });
    expect(messages.find((body) => body.name === 'Charged')).toMatchObject({ type: 'track', userId: 'ct-user-1', properties: { Amount: 300 } });
    expect(await stored(other)).toEqual([]);
  });

  it('stores nothing new when the same upload is retried (with a secret key this time)', async () => {
    const timed = records.filter((record) => typeof record.ts === 'number');
    const count = (await stored(project)).length;
    const first = (await (await upload({ d: timed }, { passcode: sk })).json()) as UploadAnswer;
    expect(first.processed).toBe(2);
    // The records with a ts were stored by the first test: their messageIds match.
    expect((await stored(project)).length).toBe(count);
    const again = (await (await upload({ d: timed })).json()) as UploadAnswer;
    expect(again).toMatchObject({ status: 'partial', processed: 2 });
    expect((await stored(project)).length).toBe(count);
    expect(await published(project)).toHaveLength(count);
  });

  it('answers fail when no record is good and success when all are', async () => {
    const bad = (await (await upload({ d: [{ type: 'event' }] })).json()) as UploadAnswer;
    expect(bad).toMatchObject({ status: 'fail', processed: 0, unprocessed: [{ index: 0, code: 400 }] });
    const good = (await (await upload({ d: [{ type: 'event', identity: 'ct-user-2', ts, evtName: 'Ok' }] })).json()) as UploadAnswer;
    expect(good).toEqual({ status: 'success', processed: 1, unprocessed: [] });
  });

  it.each<[string, { account?: string | null; passcode?: string | null }]>([
    ['a wrong passcode', { passcode: 'pk_nope' }],
    ['a revoked passcode', { passcode: 'pk_revoked' }],
    ['no passcode', { passcode: null }],
    ['no account id', { account: null }],
    ["another project's passcode", { passcode: pkOther }],
    ['a mismatched account id', { account: randomUUID() }],
  ])('refuses %s with 401 and stores nothing', async (_, credentials) => {
    const record = { type: 'event', identity: `ct-${randomUUID()}`, ts, evtName: 'Refused' };
    const response = await upload({ d: [record] }, credentials);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ status: 'fail', code: 401 });
    expect((await stored(project)).filter((row) => row.name === 'Refused')).toEqual([]);
    expect((await stored(other)).filter((row) => row.name === 'Refused')).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ['more than 1,000 records', { d: Array.from({ length: 1001 }, () => ({ type: 'event', identity: 'u', evtName: 'E' })) }, 'd'],
    ['no d', { records: [] }, 'd'],
    ['malformed JSON', '{"d": [', 'body'],
    ['a body over 1 MB', { d: [{ type: 'event', identity: 'u', evtName: 'E', evtData: { blob: 'x'.repeat(1024 * 1024) } }] }, 'body'],
    // Not storable as sent (jsonb refuses a lone surrogate, text would hold U+FFFD): the whole upload, as for NUL.
    ['a lone surrogate in evtData', { d: [{ type: 'event', identity: 'u', evtName: 'E', evtData: { x: 'a\ud800' } }] }, 'd[0].evtData.x'],
    ['a lone surrogate in a profileData key', { d: [{ type: 'profile', identity: 'u', profileData: { ['\udc00']: 1 } }] }, 'd[0].profileData.\udc00'],
    ['a lone surrogate in an identity', { d: [{ type: 'event', identity: 'u\udbff', evtName: 'E' }] }, 'd[0].identity'],
    ['a lone surrogate in an event name', { d: [{ type: 'event', objectId: 'o', evtName: '\ud83d' }] }, 'd[0].evtName'],
  ])('refuses %s with 400, storing nothing', async (_, body, field) => {
    const project = randomUUID();
    const passcode = `pk_${randomUUID()}`;
    keys.set(passcode, { ok: true, projectId: project, keyId: randomUUID(), scope: 'publishable' });
    const response = await upload(body, { account: project, passcode });
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { error: string };
    expect(answer).toMatchObject({ status: 'fail', code: 400, field });
    expect(answer.error).toContain(field);
    expect(await stored(project)).toEqual([]);
  });

  it('reports a record equal to an earlier one without ts, stores the rest, and refuses a too deep or far-future record alone', async () => {
    const project = randomUUID();
    const passcode = `pk_${randomUUID()}`;
    keys.set(passcode, { ok: true, projectId: project, keyId: randomUUID(), scope: 'publishable' });
    const launched = { type: 'event', objectId: 'ct-anon-2', evtName: 'App Launched' };
    const text = JSON.stringify({ d: [launched, launched, { type: 'event', identity: 'u', ts, evtName: 'Fine' }, { type: 'event', identity: 'u', ts: 4_102_444_800_000, evtName: 'Milliseconds' }] })
      .replace(/]}$/, `,{"type":"event","identity":"u","evtName":"Deep","evtData":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}]}`);
    const response = await upload(text, { account: project, passcode });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as UploadAnswer;
    expect(answer).toMatchObject({ status: 'partial', processed: 2 });
    expect(answer.unprocessed.map(({ index, status, code, error }) => ({ index, status, code, field: error.split(':')[0] }))).toEqual([
      { index: 1, status: 'fail', code: 400, field: 'ts' },
      { index: 3, status: 'fail', code: 400, field: 'ts' },
      { index: 4, status: 'fail', code: 400, field: `evtData${'.a'.repeat(32)}` },
    ]);
    expect(answer.unprocessed[0]!.error).toMatch(/record 0/);
    expect((await stored(project)).map((row) => row.name).sort()).toEqual(['App Launched', 'Fine']);
  });
});
