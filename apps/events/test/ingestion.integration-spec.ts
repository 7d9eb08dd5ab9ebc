import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { Analytics } from '@segment/analytics-node';
import { DataSource } from 'typeorm';
import type { ResolveApiKeyReply } from '@boomerang/contracts';
import type { TestSubgraph } from '@boomerang/platform/testing';
import type { EventRow } from '../src/events/event.entity.js';
import { EventPartitionManager } from '../src/partitions/event-partition.manager.js';
import { ensureMonthPartition, monthStart, partitionName } from '../src/partitions/event-partitions.js';
import { ingestCredentials, publishedEvents, startIngestSubgraph, stopIngestSubgraph } from './support.js';

/** Workspace's answers to key look-ups (served on the test's NATS prefix once the app is up). */
let keys: Map<string, ResolveApiKeyReply>;

/** A new project with a publishable key workspace knows. */
function newProject(): { projectId: string; key: string } {
  const projectId = randomUUID();
  const key = `pk_${randomUUID()}`;
  keys.set(key, { ok: true, projectId, keyId: randomUUID(), scope: 'publishable' });
  return { projectId, key };
}

type StoredEvent = EventRow & { partition: string };

describe('events ingestion API (Segment-compatible)', () => {
  let sut: TestSubgraph;
  let baseUrl: string;
  let db: DataSource;
  const credentials = ingestCredentials();
  const { project, other, pk, sk } = credentials;

  beforeAll(async () => {
    ({ sut, baseUrl, db, keys } = await startIngestSubgraph(credentials));
  });
  afterAll(() => stopIngestSubgraph(sut));

  const stored = (projectId: string): Promise<StoredEvent[]> =>
    db.query(`SELECT *, tableoid::regclass::text AS partition FROM event WHERE project_id = $1 ORDER BY "timestamp", message_id`, [projectId]);

  const published = (projectId: string) => publishedEvents(sut, projectId);

  const post = (
    path: string,
    body: unknown,
    { key = pk, gzip = false, raw, encoding }: { key?: string | null; gzip?: boolean; raw?: Buffer | string; encoding?: string } = {},
  ) => {
    const text = raw ?? JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key) headers.authorization = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
    if (gzip) headers['content-encoding'] = 'gzip';
    if (encoding) headers['content-encoding'] = encoding;
    const sent = gzip && !Buffer.isBuffer(text) ? gzipSync(text) : text;
    return fetch(`${baseUrl}${path}`, { method: 'POST', headers, body: typeof sent === 'string' ? sent : new Uint8Array(sent) });
  };

  it('stores what an unmodified @segment/analytics-node client sends and publishes its events', async () => {
    const analytics = new Analytics({ writeKey: pk, host: baseUrl, path: '/v1/batch', flushAt: 10, maxRetries: 0 });
    const context = { app: { name: 'shop', version: '1.2.3' }, locale: 'en-GB' };
    analytics.track({ userId: 'u-1', event: 'Order Completed', properties: { total: 42.5, items: [{ sku: 'A' }] }, context, messageId: 'seg-1' });
    analytics.identify({ anonymousId: 'anon-1', traits: { email: 'a@example.com', plan: 'pro' }, messageId: 'seg-2' });
    analytics.page({ userId: 'u-1', name: 'Home', properties: { path: '/' }, messageId: 'seg-3' });
    analytics.alias({ userId: 'u-1', previousId: 'anon-1', messageId: 'seg-4' });
    const errors: unknown[] = [];
    analytics.on('error', (error) => errors.push(error));
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(errors).toEqual([]);

    const rows = await stored(project);
    const byId = Object.fromEntries(rows.map((row) => [row.message_id, row]));
    expect(Object.keys(byId).sort()).toEqual(['seg-1', 'seg-2', 'seg-3', 'seg-4']);
    expect(byId['seg-1']).toMatchObject({ type: 'track', name: 'Order Completed', user_id: 'u-1', anonymous_id: null, properties: { total: 42.5, items: [{ sku: 'A' }] } });
    expect(byId['seg-1']!.context).toMatchObject({ ...context, library: { name: '@segment/analytics-node' } });
    expect(byId['seg-1']!.sent_at).toBeInstanceOf(Date);
    expect(byId['seg-2']).toMatchObject({ type: 'identify', name: 'identify', user_id: null, anonymous_id: 'anon-1', properties: { email: 'a@example.com', plan: 'pro' } });
    expect(byId['seg-3']).toMatchObject({ type: 'page', name: 'page', user_id: 'u-1', properties: { name: 'Home', path: '/' } });
    expect(byId['seg-4']).toMatchObject({ type: 'alias', name: 'alias', user_id: 'u-1', properties: { previousId: 'anon-1' } });

    const messages = await published(project);
    expect(messages).toHaveLength(4);
    const message = (id: string) => messages.find((body) => body.messageId === id);
    expect(message('seg-1')).toMatchObject({ projectId: project, type: 'track', name: 'Order Completed', userId: 'u-1', profileId: null, properties: { total: 42.5 } });
    expect(message('seg-2')).toMatchObject({ type: 'identify', anonymousId: 'anon-1', traits: { email: 'a@example.com', plan: 'pro' } });
    expect(message('seg-4')).toMatchObject({ type: 'alias', userId: 'u-1', previousId: 'anon-1' });
    expect(await stored(other)).toEqual([]);
  });

  it('takes single calls, gzip bodies and secret keys, and corrects the sender clock skew', async () => {
    const projectId = project;
    // The sender's clock runs an hour fast: the event happened 5 s before it was sent.
    const sentAt = new Date(Date.now() + 3_600_000);
    const body = { userId: 'u-skew', event: 'Skewed', messageId: 'skew-1', timestamp: new Date(sentAt.getTime() - 5000).toISOString(), sentAt: sentAt.toISOString() };
    const response = await post('/v1/track', body, { key: sk, gzip: true });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true });
    const [row] = (await stored(projectId)).filter((event) => event.message_id === 'skew-1');
    expect(row!.received_at.getTime() - row!.timestamp.getTime()).toBe(5000);
    expect(row!.sent_at!.toISOString()).toBe(sentAt.toISOString());

    expect((await post('/v1/screen', { anonymousId: 'a-9', name: 'Cart' })).status).toBe(200);
    expect((await post('/v1/group', { userId: 'u-9', groupId: 'g-1', traits: { plan: 'team' } })).status).toBe(200);
    const rows = await stored(projectId);
    expect(rows.find((event) => event.type === 'screen')).toMatchObject({ anonymous_id: 'a-9', properties: { name: 'Cart' } });
    expect(rows.find((event) => event.type === 'group')).toMatchObject({ properties: { groupId: 'g-1', traits: { plan: 'team' } } });
    expect(rows.find((event) => event.type === 'screen')!.message_id).toBeTruthy();
  });

  const track = (n: number, extra: Record<string, unknown> = {}) => ({ type: 'track', userId: `u-${n}`, event: 'Viewed', messageId: `m-${n}`, ...extra });
  const big = 'x'.repeat(33 * 1024);
  const manyValid = Array.from({ length: 40 }, (_, n) => track(n, { properties: { blob: 'y'.repeat(13 * 1024) } }));
  /** An object nested `levels` deep as JSON text (JSON.stringify throws past a few thousand levels). */
  const nestedJson = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
  const deepBatch = (properties: string, before: unknown[] = []) =>
    `{"batch":[${[...before.map((message) => JSON.stringify(message)), `{"type":"track","userId":"u","event":"Deep","properties":${properties}}`].join(',')}]}`;
  /** The first level past the 32-level limit under `field`. */
  const tooDeep = (field: string) => `${field}${'.a'.repeat(32)}`;
  const yearAhead = () => new Date(Date.now() + 366 * 24 * 3600 * 1000).toISOString();

  it.each<[string, { path?: string; body?: unknown; raw?: Buffer | string; gzip?: boolean; encoding?: string }, number, string]>([
    ['a wrong type', { body: { batch: [track(1), track(2, { userId: 42 })] } }, 400, 'batch[1].userId'],
    ['properties that are not an object', { body: { batch: [track(1, { properties: [1, 2] })] } }, 400, 'batch[0].properties'],
    ['a missing userId and anonymousId', { body: { batch: [track(1), { type: 'identify', traits: {} }] } }, 400, 'batch[1].userId'],
    ['a track without event', { body: { batch: [{ type: 'track', userId: 'u' }] } }, 400, 'batch[0].event'],
    ['an unknown type', { body: { batch: [track(1, { type: 'click' })] } }, 400, 'batch[0].type'],
    ['a bad timestamp', { body: { batch: [track(1, { timestamp: 'yesterday' })] } }, 400, 'batch[0].timestamp'],
    ['batch not an array', { body: { batch: { a: 1 } } }, 400, 'batch'],
    ['an oversize message', { body: { batch: [track(1), track(2, { properties: { big } })] } }, 400, 'batch[1]'],
    ['an oversize single call', { path: '/v1/track', body: track(1, { properties: { big } }) }, 400, 'body'],
    ['an oversize batch', { body: { batch: manyValid } }, 400, 'batch'],
    ['an oversize gzipped batch', { body: { batch: manyValid }, gzip: true }, 400, 'batch'],
    ['malformed JSON', { raw: '{"batch": [' }, 400, 'body'],
    ['bad gzip', { raw: Buffer.from('not gzip at all'), gzip: true }, 400, 'body'],
    ['an unsupported content-encoding', { body: { batch: [track(1)] }, encoding: 'br' }, 400, 'content-encoding'],
    // PostgreSQL cannot store NUL: refused up front instead of failing the write.
    ['a NUL character in a property', { body: { batch: [track(1), track(2, { properties: { note: 'a\u0000b' } })] } }, 400, 'batch[1].properties.note'],
    ['a NUL character in a property name', { body: { batch: [track(1, { context: { 'x\u0000': 1 } })] } }, 400, 'batch[0].context.x\u0000'],
    // A lone UTF-16 surrogate (escaped in the JSON text: JSON.stringify writes `\ud800`) is not storable as sent: jsonb refuses it, text would hold U+FFFD.
    ['a lone surrogate in a property', { body: { batch: [track(1), track(2, { properties: { note: 'a\ud800' } })] } }, 400, 'batch[1].properties.note'],
    ['a lone low surrogate in a property name', { body: { batch: [track(1, { properties: { 'k\udc00': 1 } })] } }, 400, 'batch[0].properties.k\udc00'],
    ['a lone surrogate in a trait', { path: '/v1/identify', body: { userId: 'u', traits: { name: '\udbff' } } }, 400, 'traits.name'],
    ['a lone surrogate in the context', { path: '/v1/t', body: { anonymousId: 'a', event: 'E', context: { page: { title: '\ud83d' } } } }, 400, 'context.page.title'],
    ['a lone surrogate in an event name', { body: { batch: [track(1, { event: 'Viewed \ud800' })] } }, 400, 'batch[0].event'],
    ['a lone surrogate in a userId', { body: { batch: [track(1, { userId: '\udfff' })] } }, 400, 'batch[0].userId'],
    ['a lone surrogate in an anonymousId', { body: { batch: [track(1, { anonymousId: 'a\ud800b' })] } }, 400, 'batch[0].anonymousId'],
    ['a lone surrogate in a messageId', { path: '/v1/track', body: track(1, { messageId: '\udc00' }) }, 400, 'messageId'],
    ['an upper-case escape of a lone surrogate', { raw: '{"batch":[{"type":"track","userId":"u","event":"E","properties":{"x":"\\uD800"}}]}' }, 400, 'batch[0].properties.x'],
    ['a timestamp in year 0000', { body: { batch: [track(1, { timestamp: '0000-01-01T00:00:00.000Z' })] } }, 400, 'batch[0].timestamp'],
    ['an originalTimestamp in year 0000', { path: '/v1/track', body: track(1, { originalTimestamp: '0000-12-31T23:59:59Z' }) }, 400, 'originalTimestamp'],
    ['a batch sentAt in year 0000', { body: { sentAt: '0000-01-01T00:00:00Z', batch: [track(1)] } }, 400, 'sentAt'],
    ['a clock-skew correction to before 1900', { body: { batch: [track(1, { timestamp: '2026-01-01T00:00:00Z', sentAt: '9999-01-01T00:00:00Z' })] } }, 400, 'batch[0].timestamp'],
    ['a timestamp more than a year ahead', { body: { batch: [track(1), track(2, { timestamp: yearAhead() })] } }, 400, 'batch[1].timestamp'],
    ['properties nested 5,000 deep', { raw: deepBatch(nestedJson(5000)) }, 400, tooDeep('batch[0].properties')],
    ['properties nested 33 deep in a large batch', { raw: deepBatch(nestedJson(33), [track(1, { properties: { pad: 'x'.repeat(8192) } })]) }, 400, tooDeep('batch[1].properties')],
    ['a context of arrays nested 100,000 deep', { raw: `{"batch":[{"userId":"u","type":"track","event":"E","context":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}]}` }, 400, `batch[0].context.a${'[0]'.repeat(31)}`],
  ])('refuses %s with a 4xx naming the field, writing nothing', async (_case, { path = '/v1/batch', body, raw, gzip, encoding }, status, field) => {
    const { projectId, key } = newProject();
    const response = await post(path, body, { key, raw, gzip, encoding });
    expect(response.status).toBe(status);
    const answer = (await response.json()) as { success: boolean; error: { field: string; message: string } };
    expect(answer.success).toBe(false);
    expect(answer.error.field).toBe(field);
    expect(answer.error.message).toContain(field);
    expect(await stored(projectId)).toEqual([]);
    expect(await published(projectId)).toEqual([]);
  });

  it('keeps a kept-alive connection usable after refusing an oversize body before reading it all', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (path: string, text: string) =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest(`${baseUrl}${path}`, { method: 'POST', agent, headers: { authorization: `Basic ${Buffer.from(`${pk}:`).toString('base64')}` }, timeout: 5000 }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode!));
        });
        request.on('timeout', () => request.destroy(new Error(`${path} not answered`)));
        request.on('error', reject);
        request.end(text);
      });
    try {
      expect(await send('/v1/track', JSON.stringify(track(1, { properties: { big: 'x'.repeat(400 * 1024) } })))).toBe(400);
      for (let n = 0; n < 3; n++) expect(await send('/v1/batch', JSON.stringify({ batch: [] }))).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  it.each([
    ['an unknown key', 'pk_nobody', /unknown/],
    ['a revoked key', 'pk_revoked', /revoked/],
    ['no key', null, /Missing write key/],
  ])('refuses %s with 401', async (_case, key, message) => {
    const messageId = `k-${randomUUID()}`;
    const response = await post('/v1/batch', { batch: [track(1, { messageId })] }, { key });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ success: false, error: { field: 'writeKey', message: expect.stringMatching(message) } });
    // Nothing written under any project.
    expect(await db.query(`SELECT 1 FROM event_message_id WHERE message_id = $1 UNION ALL SELECT 1 FROM event WHERE message_id = $1`, [messageId])).toEqual([]);
  });

  it('stores and publishes text exactly, whatever COPY would have to escape', async () => {
    const { projectId, key } = newProject();
    const awkward = {
      type: 'track',
      event: 'Tab\there, line\nbreak\r',
      messageId: 'id\\with\tspecials',
      userId: 'back\\slash',
      anonymousId: 'a\nb',
      properties: { path: 'C:\\dir\\file', quoted: '"q"', escapes: '\\n is not \n', unicode: 'é😀\u2028', nested: { tab: '\t' } },
      context: { note: 'ends with a backslash \\' },
    };
    expect((await post('/v1/batch', { batch: [awkward] }, { key })).status).toBe(200);
    const [row] = await stored(projectId);
    expect(row).toMatchObject({
      name: awkward.event,
      message_id: awkward.messageId,
      user_id: awkward.userId,
      anonymous_id: awkward.anonymousId,
      properties: awkward.properties,
      context: awkward.context,
    });
    const [event] = await published(projectId);
    expect(event).toMatchObject({ name: awkward.event, messageId: awkward.messageId, userId: awkward.userId, anonymousId: awkward.anonymousId, properties: awkward.properties });
  });

  it('duplicates nothing when a batch is retried, in the table and on the stream', async () => {
    const { projectId, key } = newProject();
    const batch = { batch: Array.from({ length: 50 }, (_, n) => track(n)) };
    const responses = await Promise.all([post('/v1/batch', batch, { key }), post('/v1/batch', batch, { key }), post('/v1/batch', batch, { key, gzip: true })]);
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
    expect((await post('/v1/batch', { batch: [...batch.batch, track(50)] }, { key })).status).toBe(200);
    // A messageId twice in one batch (and new): stored once.
    expect((await post('/v1/batch', { batch: [track(51), track(52), track(51)] }, { key })).status).toBe(200);
    const rows = await stored(projectId);
    expect(rows).toHaveLength(53);
    expect(new Set(rows.map((row) => row.message_id)).size).toBe(53);
    const messages = await published(projectId);
    expect(messages).toHaveLength(53);
    expect(new Set(messages.map((body) => body.messageId)).size).toBe(53);
  });

  it('keeps partitions for this month and the next three; events land in their month or DEFAULT', async () => {
    const now = new Date();
    const partitions = (
      (await db.query(
        `SELECT child.relname AS name FROM pg_inherits JOIN pg_class child ON child.oid = inhrelid WHERE inhparent = 'event'::regclass`,
      )) as { name: string }[]
    ).map((row) => row.name);
    for (let offset = 0; offset <= 3; offset++) expect(partitions).toContain(partitionName(monthStart(now, offset)));
    expect(partitions).toContain('event_default');
    expect(await sut.app.get(EventPartitionManager).ensure()).toEqual([0, 1, 2, 3].map((offset) => partitionName(monthStart(now, offset))));

    const { projectId, key } = newProject();
    const future = monthStart(now, 7);
    const response = await post(
      '/v1/batch',
      {
        batch: [
          track(1, { timestamp: new Date().toISOString() }),
          track(2, { timestamp: '2019-03-04T05:06:07.000Z' }),
          track(3, { timestamp: new Date(future.getTime() + 86_400_000).toISOString() }),
        ],
      },
      { key },
    );
    expect(response.status).toBe(200);
    const where = async () => Object.fromEntries((await stored(projectId)).map((row) => [row.message_id, row.partition]));
    expect(await where()).toEqual({ 'm-1': partitionName(monthStart(now)), 'm-2': 'event_default', 'm-3': 'event_default' });
    // Creating a month that already has rows in DEFAULT moves them into it.
    await db.transaction((manager) => ensureMonthPartition(manager, future));
    expect(await where()).toEqual({ 'm-1': partitionName(monthStart(now)), 'm-2': 'event_default', 'm-3': partitionName(future) });
  });
});
