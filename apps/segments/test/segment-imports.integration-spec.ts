import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline, Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { jest } from '@jest/globals';
import type { Subscription } from '@nats-io/transport-node';
import { DataSource } from 'typeorm';
import { ResolveIdentities, SegmentMembershipChanged, type MessageOf } from '@boomerang/contracts';
import { serveRpc } from '@boomerang/platform/messaging';
import { Clock } from '@boomerang/platform/subgraph';
import { eventually, secretKeyCaller, seedKnownProfiles, silentLogger, startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';
import { SEGMENT_IMPORTS_CONFIG, type SegmentImportsConfig } from '../src/imports/imports-config.js';
import { RunSegmentImport } from '../src/imports/run-segment-import.js';

type Change = MessageOf<typeof SegmentMembershipChanged>;
type Kind = 'user_id' | 'email' | 'phone';

interface ImportView {
  id: string;
  status: string;
  uploadUrl: string | null;
  rowsRead: number;
  matched: number;
  unmatched: number;
  unmatchedByReason: { empty: number; malformed: number; unknownIdentity: number; profileNotKnown: number };
  added: number;
  removed: number;
  error: string | null;
  segment: { id: string; kind: string; size: number };
}

const FIELDS = `id status uploadUrl rowsRead matched unmatched unmatchedByReason { empty malformed unknownIdentity profileNotKnown } added removed error segment { id kind size }`;
const CREATE = `mutation($input: ImportSegmentInput!) { importSegment(input: $input) { ${FIELDS} } }`;
const GET = `query($id: ID!, $first: Int, $after: Int) { segmentImport(id: $id) { ${FIELDS} unmatchedRows(first: $first, after: $after) { row value reason detail } } }`;
const MEMBERS = `query($id: ID!) { segment(id: $id) { size members(first: 1000) { id } } }`;

/**
 * Stands in for profiles on its ResolveIdentities contract: the identities given to `identify`,
 * per project, read as profiles reads them (emails lower-cased, phones without separators).
 */
class ProfilesStandIn {
  private readonly identities = new Map<string, string>();
  requests = 0;

  identify(projectId: string, kind: Kind, value: string, profileId: string): void {
    this.identities.set(`${projectId}:${kind}:${value}`, profileId);
  }

  serve(sut: TestSubgraph): void {
    serveRpc(
      sut.messaging.nc,
      sut.messaging.subjects,
      ResolveIdentities,
      (request) => {
        this.requests++;
        const values = request.values.map((value) => (request.kind === 'email' ? value.trim().toLowerCase() : request.kind === 'phone' ? value.replace(/[\s().-]/g, '') : value));
        const valid = values.map((value) => (request.kind === 'email' ? value.includes('@') : request.kind === 'phone' ? /^\+[1-9]\d{1,14}$/.test(value) : value !== ''));
        return Promise.resolve({
          profileIds: values.map((value, index) => (valid[index] ? (this.identities.get(`${request.projectId}:${request.kind}:${value}`) ?? null) : null)),
          malformed: valid.flatMap((ok, index) => (ok ? [] : [index])),
        });
      },
      silentLogger,
    );
  }
}

/** Imports into segments: CSV, gzip, Mixpanel and Amplitude files, REPLACE, the upload token, failures, restarts, a large file. */
describe('segments: imported cohorts', () => {
  let sut: TestSubgraph;
  let changes: Change[] = [];
  let subscription: Subscription;
  const profiles = new ProfilesStandIn();

  beforeAll(async () => {
    // The sources here are local servers; one test turns this off again.
    process.env.SEGMENT_IMPORT_ALLOW_PRIVATE_URLS = 'true';
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'segments' });
    profiles.serve(sut);
    subscription = sut.messaging.nc.subscribe(sut.messaging.subjects.filter(SegmentMembershipChanged));
    void (async () => {
      for await (const message of subscription) changes.push(message.json<Change>());
    })();
  }, 120_000);
  afterAll(async () => {
    if (subscription && !subscription.isClosed()) subscription.unsubscribe();
    await sut?.close();
  });
  beforeEach(() => {
    changes = [];
  });

  /** A project whose profiles `u-<n>` (also `user<n>@example.com`, `+4930100<n>`) are known to segments; the last `unknown` only to profiles. */
  const newProject = async (count: number, unknown = 0) => {
    const projectId = randomUUID();
    const ids = Array.from({ length: count + unknown }, () => randomUUID());
    ids.forEach((profileId, n) => {
      profiles.identify(projectId, 'user_id', `u-${n}`, profileId);
      profiles.identify(projectId, 'email', `user${n}@example.com`, profileId);
      profiles.identify(projectId, 'phone', `+4930100${n}`, profileId);
    });
    await seedKnownProfiles(sut, projectId, ids.slice(0, count));
    return { projectId, ids };
  };

  const createImport = async (projectId: string, input: Record<string, unknown>) => {
    const result = await sut.query<{ importSegment: ImportView }>(CREATE, { input }, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    return result.data!.importSegment;
  };
  const upload = async (url: string, body: string | Buffer | AsyncIterable<Uint8Array>, method = 'PUT', contentType = 'text/csv') => {
    const response = await fetch(url, { method, body: body as never, headers: { 'content-type': contentType }, duplex: 'half' } as RequestInit);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const read = async (projectId: string, id: string, first = 100, after?: number) => {
    const result = await sut.query<{ segmentImport: ImportView & { unmatchedRows: { row: number; value: string; reason: string; detail: string | null }[] } }>(
      GET,
      { id, first, after },
      secretKeyCaller(projectId),
    );
    expect(result.errors).toBeUndefined();
    return result.data!.segmentImport;
  };
  const members = async (projectId: string, segmentId: string) => {
    const result = await sut.query<{ segment: { size: number; members: { id: string }[] } }>(MEMBERS, { id: segmentId }, secretKeyCaller(projectId));
    return result.data!.segment.members.map((member) => member.id).sort();
  };

  it('imports a CSV by user id into a new static segment, reporting the rows that matched nobody', async () => {
    const { projectId, ids } = await newProject(3, 1);
    const created = await createImport(projectId, { name: 'Newsletter readers', format: 'CSV', column: 'User ID' });
    expect(created).toMatchObject({ status: 'PENDING', rowsRead: 0, segment: { kind: 'STATIC', size: 0 } });
    expect(created.uploadUrl).toMatch(new RegExp(`/segment-imports/${created.id}\\?token=`));

    const file = 'name,User ID\nAda,u-0\nBob,u-1\nAda again,u-0\nNobody,u-404\nEmpty,\nShort\nNot yet known,u-3\nCat,u-2\n';
    const answer = await upload(created.uploadUrl!, file);
    expect(answer).toEqual({ status: 200, body: { id: created.id, status: 'DONE', rowsRead: 8, matched: 4, unmatched: 4, added: 3, removed: 0, error: null } });

    const job = await read(projectId, created.id);
    expect(job).toMatchObject({ status: 'DONE', uploadUrl: null, unmatchedByReason: { empty: 1, malformed: 1, unknownIdentity: 1, profileNotKnown: 1 }, segment: { size: 3 } });
    expect(job.unmatchedRows).toEqual([
      { row: 5, value: 'u-404', reason: 'UNKNOWN_IDENTITY', detail: 'no profile has this user_id' },
      { row: 6, value: '', reason: 'EMPTY', detail: 'no value' },
      { row: 7, value: '', reason: 'MALFORMED', detail: 'the row has 1 column; the value is in column 2' },
      { row: 8, value: 'u-3', reason: 'PROFILE_NOT_KNOWN', detail: `profile ${ids[3]} is erased, merged, or not yet known to segments` },
    ]);
    expect((await read(projectId, created.id, 2, 6)).unmatchedRows.map((row) => row.row)).toEqual([7, 8]);
    expect(await members(projectId, job.segment.id)).toEqual(ids.slice(0, 3).sort());

    await sut.flushOutbox();
    await eventually(() => changes.length >= 3);
    expect(changes).toHaveLength(3);
    expect(changes.map((change) => ({ ...change, occurredAt: undefined })).sort((a, b) => a.profileId.localeCompare(b.profileId))).toEqual(
      ids
        .slice(0, 3)
        .sort()
        .map((profileId) => ({ projectId, occurredAt: undefined, segmentId: job.segment.id, profileId, change: 'entered', version: 1, cause: 'import', eventId: null })),
    );
  });

  it('imports emails from a gzip upload and phones fetched from sourceUrl, adding only missing members', async () => {
    const { projectId, ids } = await newProject(4);
    const byEmail = await createImport(projectId, { name: 'By email', format: 'CSV', identityKind: 'EMAIL' });
    const gz = await upload(byEmail.uploadUrl!, gzipSync('id,Email\n1, USER0@Example.com \n2,user1@example.com\n3,not-an-email\n'), 'POST', 'application/gzip');
    expect(gz.body).toMatchObject({ status: 'DONE', rowsRead: 3, matched: 2, added: 2 });
    expect((await read(projectId, byEmail.id)).unmatchedRows).toEqual([{ row: 4, value: 'not-an-email', reason: 'MALFORMED', detail: 'not an email address' }]);

    const server: Server = createServer((request, response) => {
      if (request.url?.startsWith('/phones.csv')) response.writeHead(200, { 'content-type': 'text/csv' }).end('phone\n+49 30 1001\n+49 (30) 1002\n+4930100 3\n');
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const source = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const byPhone = await createImport(projectId, { segmentId: byEmail.segment.id, format: 'CSV', identityKind: 'PHONE', sourceUrl: `${source}/phones.csv?signature=secret` });
      expect(byPhone).toMatchObject({ uploadUrl: null });
      await eventually(async () => (await read(projectId, byPhone.id)).status !== 'RUNNING');
      const phoned = await read(projectId, byPhone.id);
      expect({ ...phoned, error: phoned.error }).toMatchObject({ status: 'DONE', error: null, rowsRead: 3, matched: 3, added: 2, segment: { size: 4 } });
      expect(await members(projectId, byEmail.segment.id)).toEqual([...ids].sort());

      const missing = await createImport(projectId, { segmentId: byEmail.segment.id, format: 'CSV', sourceUrl: `${source}/gone.csv` });
      await eventually(async () => (await read(projectId, missing.id)).status !== 'RUNNING');
      expect(await read(projectId, missing.id)).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/gone\.csv answered 404/) });
    } finally {
      server.close();
    }
  });

  it('refuses a sourceUrl on loopback, private, link-local or metadata addresses unless SEGMENT_IMPORT_ALLOW_PRIVATE_URLS=true', async () => {
    const { projectId } = await newProject(2);
    const server: Server = createServer((request, response) => {
      if (request.url === '/hop') response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      else response.writeHead(200, { 'content-type': 'text/csv' }).end('user_id\nu-0\nu-1\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const config = sut.app.get<SegmentImportsConfig>(SEGMENT_IMPORTS_CONFIG);
    const port = (server.address() as AddressInfo).port;
    const ended = async (sourceUrl: string) => {
      const job = await createImport(projectId, { name: `From ${sourceUrl}`, format: 'CSV', sourceUrl });
      await eventually(async () => (await read(projectId, job.id)).status !== 'RUNNING');
      return read(projectId, job.id);
    };
    try {
      config.SEGMENT_IMPORT_ALLOW_PRIVATE_URLS = false;
      for (const [url, why] of [
        [`http://127.0.0.1:${port}/cohort.csv`, /127\.0\.0\.1 is a loopback address \(127\.0\.0\.1\)/],
        [`http://localhost:${port}/cohort.csv`, /localhost is a loopback address/],
        [`http://[::ffff:127.0.0.1]:${port}/cohort.csv`, /is a loopback address/],
        ['http://10.255.255.1/cohort.csv', /10\.255\.255\.1 is a private address/],
        ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a link-local or metadata address/],
      ] as const) {
        const job = await ended(url);
        expect({ status: job.status, error: job.error, added: job.added }).toEqual({ status: 'FAILED', error: expect.stringMatching(why), added: 0 });
        expect(job.error).toMatch(/SEGMENT_IMPORT_ALLOW_PRIVATE_URLS=true/);
      }
      config.SEGMENT_IMPORT_ALLOW_PRIVATE_URLS = true;
      expect(await ended(`http://127.0.0.1:${port}/cohort.csv`)).toMatchObject({ status: 'DONE', added: 2 });
    } finally {
      config.SEGMENT_IMPORT_ALLOW_PRIVATE_URLS = true;
      server.close();
    }
  });

  it('REPLACE: the members the file does not name exit at the end, published with cause import', async () => {
    const { projectId, ids } = await newProject(5);
    const first = await createImport(projectId, { name: 'Replaced', format: 'CSV' });
    expect((await upload(first.uploadUrl!, 'user_id\nu-0\nu-1\nu-2\n')).body).toMatchObject({ status: 'DONE', added: 3 });
    await sut.flushOutbox();
    await eventually(() => changes.length >= 3);
    expect(changes).toHaveLength(3);
    changes = [];

    const replace = await createImport(projectId, { segmentId: first.segment.id, format: 'CSV', mode: 'REPLACE' });
    expect((await upload(replace.uploadUrl!, 'user_id\nu-1\nu-3\nu-4\nu-404\n')).body).toMatchObject({ status: 'DONE', matched: 3, added: 2, removed: 2, unmatched: 1 });
    expect(await members(projectId, first.segment.id)).toEqual([ids[1]!, ids[3]!, ids[4]!].sort());
    await sut.flushOutbox();
    await eventually(() => changes.length >= 4);
    expect(changes).toHaveLength(4);
    expect(changes.filter((change) => change.change === 'exited').sort((a, b) => a.profileId.localeCompare(b.profileId))).toEqual(
      [ids[0]!, ids[2]!].sort().map((profileId) => expect.objectContaining({ profileId, cause: 'import', version: 1 })),
    );
    expect(changes.filter((change) => change.change === 'entered').map((change) => change.profileId).sort()).toEqual([ids[3]!, ids[4]!].sort());

    // A file that matches nobody does not empty the segment.
    const wrongColumn = await createImport(projectId, { segmentId: first.segment.id, format: 'CSV', mode: 'REPLACE', identityKind: 'EMAIL', column: 'user_id' });
    expect((await upload(wrongColumn.uploadUrl!, 'user_id\nu-1\n')).body).toMatchObject({ status: 'FAILED', removed: 0, error: expect.stringMatching(/^no row matched a profile, and REPLACE would empty the segment/) });
    expect(await members(projectId, first.segment.id)).toHaveLength(3);
  });

  it("imports Mixpanel's cohort export (engage pages, JSON) and Amplitude's cohort download (CSV) by user id", async () => {
    const { projectId, ids } = await newProject(4);
    const mixpanel = await createImport(projectId, { name: 'From Mixpanel', format: 'MIXPANEL_COHORT' });
    const page = (results: unknown[], pageNumber: number) => ({ page: pageNumber, page_size: 2, results, session_id: '1234567890-EXAMPL', status: 'ok', total: 3 });
    const profile = (distinctId: string) => ({ $distinct_id: distinctId, $properties: { $created: '2008-12-12T11:20:47', $email: 'example@mixpanel.com', $first_name: 'Example', $last_seen: '2008-06-09T23:08:40' } });
    const export_ = `${JSON.stringify(page([profile('u-0'), profile('$device:17f2a')], 0))}\n${JSON.stringify(page([profile('u-1')], 1))}\n`;
    expect((await upload(mixpanel.uploadUrl!, export_, 'PUT', 'application/octet-stream')).body).toMatchObject({ status: 'DONE', rowsRead: 3, matched: 2, added: 2 });
    expect((await read(projectId, mixpanel.id)).unmatchedRows).toEqual([{ row: 2, value: '$device:17f2a', reason: 'UNKNOWN_IDENTITY', detail: 'no profile has this user_id' }]);
    expect(await members(projectId, mixpanel.segment.id)).toEqual([ids[0]!, ids[1]!].sort());

    const amplitude = await createImport(projectId, { name: 'From Amplitude', format: 'AMPLITUDE_COHORT' });
    const download = '"amplitude_id","user_id"\n"356896327775","u-2"\n"356893815359",""\n"356893815360","u-3"\n';
    expect((await upload(amplitude.uploadUrl!, download)).body).toMatchObject({ status: 'DONE', rowsRead: 3, matched: 2, added: 2, unmatched: 1 });
    expect((await read(projectId, amplitude.id)).unmatchedRows).toEqual([
      { row: 3, value: '', reason: 'EMPTY', detail: 'no user_id (amplitude_id 356893815359): Amplitude users without a user id cannot be matched' },
    ]);
    expect(await members(projectId, amplitude.segment.id)).toEqual([ids[2]!, ids[3]!].sort());
  });

  it('fails a file it cannot read, naming the row and column, keeping what it imported before', async () => {
    const { projectId } = await newProject(2);
    const bad = await createImport(projectId, { name: 'Bad quotes', format: 'CSV' });
    const answer = await upload(bad.uploadUrl!, 'user_id,name\nu-0,Ada\nu-1,"Bob\n');
    expect(answer).toMatchObject({ status: 422, body: { status: 'FAILED', error: expect.stringMatching(/^row 3, column 2: not valid CSV \(CSV_QUOTE_NOT_CLOSED/) } });
    const noColumn = await createImport(projectId, { name: 'No such column', format: 'CSV', column: 'email' });
    expect((await upload(noColumn.uploadUrl!, 'user_id\nu-0\n')).body).toMatchObject({ status: 'FAILED', error: expect.stringContaining('row 1: column "email" is not in the header ("user_id")') });
    const notJson = await createImport(projectId, { name: 'Broken JSON', format: 'MIXPANEL_COHORT' });
    expect((await upload(notJson.uploadUrl!, '{"results": [{"$distinct_id": "u-0"},\n{"$distinct_id": nope}]}')).body).toMatchObject({
      status: 'FAILED',
      error: expect.stringContaining('line 2: not valid Mixpanel JSON'),
    });
  });

  it('takes the file only with its own unexpired token, once', async () => {
    const { projectId } = await newProject(1);
    const job = await createImport(projectId, { name: 'Token', format: 'CSV' });
    const other = await createImport(projectId, { name: 'Other', format: 'CSV' });
    const url = new URL(job.uploadUrl!);
    const token = url.searchParams.get('token')!;
    const withToken = (value: string | null, id = job.id) => {
      const target = new URL(`/segment-imports/${id}`, url);
      if (value !== null) target.searchParams.set('token', value);
      return target.toString();
    };
    const [expiry, signature] = token.split('.') as [string, string];
    expect((await upload(withToken(null), 'user_id\nu-0\n')).status).toBe(401);
    expect((await upload(withToken(`${Number(expiry) + 3_600_000}.${signature}`), 'user_id\nu-0\n')).status).toBe(403);
    expect((await upload(withToken(`${expiry}.${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`), 'user_id\nu-0\n')).status).toBe(403);
    expect((await upload(withToken(token, other.id), 'user_id\nu-0\n')).status).toBe(403);
    expect((await upload(withToken(token, randomUUID()), 'user_id\nu-0\n')).status).toBe(403);

    const clock = sut.app.get(Clock);
    const later = jest.spyOn(clock, 'now').mockReturnValue(new Date(Number(expiry) + 1));
    try {
      expect(await upload(job.uploadUrl!, 'user_id\nu-0\n')).toEqual({ status: 403, body: { error: 'the upload URL has expired; create a new import' } });
    } finally {
      later.mockRestore();
    }
    expect((await read(projectId, job.id)).status).toBe('PENDING');
    expect((await upload(job.uploadUrl!, 'user_id\nu-0\n')).status).toBe(200);
    expect(await upload(job.uploadUrl!, 'user_id\nu-0\n')).toEqual({ status: 409, body: { error: 'this import has received its file already (status DONE)' } });
  });

  it('keeps projects apart and refuses what cannot be imported, naming the field', async () => {
    const { projectId } = await newProject(1);
    const other = await newProject(1);
    const job = await createImport(projectId, { name: 'Mine', format: 'CSV' });
    const elsewhere = await sut.query(GET, { id: job.id }, secretKeyCaller(other.projectId));
    expect(elsewhere.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    const intoTheirs = await sut.query(CREATE, { input: { segmentId: job.segment.id, format: 'CSV' } }, secretKeyCaller(other.projectId));
    expect(intoTheirs.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.segmentId' });
    // The other project's user ids resolve in their project only.
    const theirs = await createImport(other.projectId, { name: 'Theirs', format: 'CSV' });
    expect((await upload(theirs.uploadUrl!, 'user_id\nu-0\n')).body).toMatchObject({ matched: 1, added: 1 });
    expect(await members(projectId, job.segment.id)).toEqual([]);

    const dynamic = await sut.query<{ createSegment: { id: string } }>(
      `mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id } }`,
      { input: { name: 'Dynamic', kind: 'DYNAMIC', rules: { profile: { property: 'plan', op: 'EQ', value: 'pro' } } } },
      secretKeyCaller(projectId),
    );
    for (const [input, field] of [
      [{ segmentId: dynamic.data!.createSegment.id, format: 'CSV' }, 'input.segmentId'],
      [{ segmentId: job.segment.id, name: 'Both', format: 'CSV' }, 'input.segmentId'],
      [{ format: 'CSV' }, 'input.segmentId'],
      [{ name: 'Mixpanel column', format: 'MIXPANEL_COHORT', column: 'x' }, 'input.column'],
      [{ name: 'Amplitude emails', format: 'AMPLITUDE_COHORT', identityKind: 'EMAIL' }, 'input.identityKind'],
      [{ name: 'FTP', format: 'CSV', sourceUrl: 'ftp://example.com/file.csv' }, 'input.sourceUrl'],
    ] as const) {
      const refused = await sut.query(CREATE, { input }, secretKeyCaller(projectId));
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
  });

  it('fails an import whose process stopped mid-file (kill -9), and uploads never made, when it sweeps', async () => {
    const { projectId } = await newProject(1);
    const running = await createImport(projectId, { name: 'Interrupted', format: 'CSV' });
    const pending = await createImport(projectId, { name: 'Never uploaded', format: 'CSV' });
    const db = sut.app.get(DataSource);
    // As a process that died after a few batches leaves it: RUNNING, its heartbeat old.
    await db.query(`UPDATE segment_import SET status = 'running', rows_read = 2000, added = 1500, heartbeat_at = now() - interval '2 minutes' WHERE id = $1`, [running.id]);
    await db.query(`UPDATE segment_import SET upload_expires_at = now() - interval '1 second' WHERE id = $1`, [pending.id]);
    expect(await sut.app.get(RunSegmentImport).sweep()).toBeGreaterThanOrEqual(2);
    expect(await read(projectId, running.id)).toMatchObject({
      status: 'FAILED',
      error: 'interrupted: the segments process running this import stopped (2000 rows read, 1500 members added and kept); the file was streamed, not stored, so import it again (ADD adds only the missing members; REPLACE removes members only when a whole file was read)',
    });
    expect(await read(projectId, pending.id)).toMatchObject({ status: 'FAILED', error: 'no file was uploaded before the upload URL expired; create a new import' });
  });

  it('streams a 100,000-row CSV with bounded memory', async () => {
    const rows = Number(process.env.IMPORT_ROWS ?? 100_000);
    const projectId = randomUUID();
    const ids = Array.from({ length: rows }, () => randomUUID());
    ids.forEach((profileId, n) => profiles.identify(projectId, 'user_id', `u-${n}`, profileId));
    await sut.app.get(DataSource).query(`INSERT INTO known_profile (project_id, profile_id) SELECT $1, unnest($2::uuid[])`, [projectId, ids]);
    const job = await createImport(projectId, { name: 'Large', format: 'CSV' });
    async function* file(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('user_id,plan,note\n');
      for (let start = 0; start < rows; start += 5000) {
        let chunk = '';
        for (let n = start; n < start + 5000; n++) chunk += `u-${n},pro,"some, quoted note for row ${n}"\n`;
        yield Buffer.from(chunk);
      }
    }
    // Not collected: the import's 100,000 messages would weigh on the memory measured, and delivered to this
    // process on the app's own connection they made NATS drop it as a slow consumer (WriteDeadline) under CI's load.
    subscription.unsubscribe();
    const before = process.memoryUsage().rss;
    let peak = before;
    // Live heap: measured after a full collection, so garbage not yet collected does not count.
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    let peakHeap = heapBefore;
    const rssSampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    // A full collection of this process's heap (the app, the stand-in's 100,000 identities, Jest) takes long on a
    // loaded machine: each next one waits four times as long as the last took, so collecting stays under a fifth of
    // the time. Every second regardless, it could take the import's whole CPU under CI's load.
    let gcCount = 0;
    let gcMs = 0;
    let sampler: NodeJS.Timeout | undefined;
    const sample = () => {
      const gcStarted = performance.now();
      gc();
      const took = performance.now() - gcStarted;
      gcCount++;
      gcMs += took;
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      sampler = setTimeout(sample, Math.max(1000, 4 * took));
    };
    sampler = setTimeout(sample, 1000);
    const started = Date.now();
    const requestsBefore = profiles.requests;
    try {
      // node:http with pipeline: the request body is pulled as the socket drains (fetch buffers a streamed body ahead).
      const answer = await new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
        const request = httpRequest(job.uploadUrl!, { method: 'PUT', headers: { 'content-type': 'text/csv' } }, (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) as Record<string, unknown> }));
        });
        request.on('error', reject);
        pipeline(Readable.from(file()), request, (error) => error && reject(error));
      });
      expect(answer.body).toMatchObject({ status: 'DONE', rowsRead: rows, matched: rows, added: rows, unmatched: 0 });
    } finally {
      clearTimeout(sampler);
      clearInterval(rssSampler);
    }
    expect(profiles.requests - requestsBefore).toBe(rows / 1000);
    expect((await read(projectId, job.id)).segment.size).toBe(rows);
    // The app, its outbox relay (100,000 messages to JetStream) and this client share the process: the
    // live heap (where a file or member list held whole would show) and RSS stay bounded.
    expect(peakHeap - heapBefore).toBeLessThan(100 * 1024 * 1024);
    expect(peak - before).toBeLessThan(200 * 1024 * 1024);
    process.stdout.write(
      `100,000-row import: ${Date.now() - started} ms, RSS +${Math.round((peak - before) / 1048576)} MB, heap +${Math.round((peakHeap - heapBefore) / 1048576)} MB (${gcCount} full collections, ${Math.round(gcMs)} ms)\n`,
    );
    // 7–36 s here, but past 120 s in some CI runs under their load for a reason not yet found (no retried lookup: the
    // request count above would show it); the bound leaves room for such a stall, the assertions stay as they are.
  }, 300_000);
});
