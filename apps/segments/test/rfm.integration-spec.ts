import { randomUUID } from 'node:crypto';
import type { Subscription } from '@nats-io/transport-node';
import { DataSource } from 'typeorm';
import { ListProfileSnapshots, SegmentMembershipChanged, type MessageOf } from '@boomerang/contracts';
import { domainStreamConfig, serveRpc } from '@boomerang/platform/messaging';
import { Clock } from '@boomerang/platform/subgraph';
import { eventually, publishableKeyCaller, secretKeyCaller, seedKnownProfiles, silentLogger, startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';
import { RfmSchedule } from '../src/rfm/rfm-schedule.js';
import { ntileAt } from '../src/rfm/rfm-scores.js';
import { serveEvents } from './events-stand-in.js';

type Change = MessageOf<typeof SegmentMembershipChanged>;
interface ClassView {
  class: string;
  name: string;
  size: number;
  r: { min: number; max: number };
  fm: { min: number; max: number };
  recencyDays: { min: number; max: number } | null;
  segment: { id: string; name: string; kind: string; size: number; members: { id: string }[] };
}
interface RfmView {
  purchaseEvent: string;
  amountProperty: string;
  windowDays: number;
  timeZone: string;
  recomputeAt: string;
  computedAt: string | null;
  nextRecomputeAt: string;
  failure: string | null;
  profilesScored: number;
  classes: ClassView[];
  quintiles: Record<'recencyDays' | 'frequency' | 'monetary', { score: number; min: number; max: number; profiles: number }[]> | null;
}

const RFM_FIELDS = `purchaseEvent amountProperty windowDays timeZone recomputeAt computedAt nextRecomputeAt failure profilesScored
  classes { class name size r { min max } fm { min max } recencyDays { min max } segment { id name kind size members(first: 100) { id } } }
  quintiles { recencyDays { score min max profiles } frequency { score min max profiles } monetary { score min max profiles } }`;
const CONFIGURE = `mutation($input: ConfigureRfmInput!) { configureRfm(input: $input) { ${RFM_FIELDS} } }`;
const RECOMPUTE = `mutation { recomputeRfm { ${RFM_FIELDS} } }`;
const RFM = `query { rfm { ${RFM_FIELDS} } }`;
const PROFILE_RFM = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Profile { id rfm { r f m fm class recencyDays frequency monetary segment { id name } } segments { id name } } } }`;

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Days since the last purchase that give each R score among fifteen purchasers, three per score. */
const RECENCY_DAYS: Record<number, number> = { 5: 1, 4: 10, 3: 40, 2: 100, 1: 200 };
/**
 * Fifteen purchasers, three per score on each of R, F (purchases) and M (hundreds spent), placed so
 * that each class of the map holds at least one of them.
 */
const PURCHASERS = [
  [5, 5, 5, 'CHAMPIONS'],
  [5, 1, 1, 'NEW'],
  [5, 3, 2, 'POTENTIAL_LOYALIST'],
  [4, 1, 1, 'PROMISING'],
  [4, 4, 4, 'LOYAL'],
  [4, 2, 3, 'POTENTIAL_LOYALIST'],
  [3, 3, 3, 'NEEDS_ATTENTION'],
  [3, 2, 1, 'ABOUT_TO_SLEEP'],
  [3, 5, 4, 'LOYAL'],
  [2, 4, 3, 'AT_RISK'],
  [2, 5, 5, 'CANT_LOSE_THEM'],
  [2, 1, 2, 'HIBERNATING'],
  [1, 3, 4, 'AT_RISK'],
  [1, 4, 5, 'CANT_LOSE_THEM'],
  [1, 2, 2, 'HIBERNATING'],
] as const;

/** The RFM family: scoring over the purchase leaf's state, classes as segments, recomputes and transitions, the daily run. */
describe('segments: the RFM family', () => {
  let sut: TestSubgraph;
  let db: DataSource;
  let events: ReturnType<typeof serveEvents>;
  let changes: Change[] = [];
  let subscription: Subscription;

  beforeAll(async () => {
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'segments' });
    db = sut.app.get(DataSource);
    await sut.messaging.jsm.streams.add(domainStreamConfig(sut.messaging.subjects, 'profiles'));
    await sut.messaging.jsm.streams.add(domainStreamConfig(sut.messaging.subjects, 'events'));
    serveRpc(sut.messaging.nc, sut.messaging.subjects, ListProfileSnapshots, async () => ({ profiles: [], next: null }), silentLogger);
    events = serveEvents(sut);
    subscription = sut.messaging.nc.subscribe(sut.messaging.subjects.filter(SegmentMembershipChanged));
    void (async () => {
      for await (const message of subscription) changes.push(message.json<Change>());
    })();
  }, 120_000);
  afterAll(async () => {
    subscription?.unsubscribe();
    await sut?.close();
  });

  /** A project with the fifteen purchasers, one who only viewed, and one whose purchase is older than the window. */
  const seedProject = async () => {
    const projectId = randomUUID();
    const purchasers = PURCHASERS.map(() => randomUUID());
    const [viewer, lapsed] = [randomUUID(), randomUUID()];
    await seedKnownProfiles(sut, projectId, [...purchasers, viewer, lapsed]);
    const now = Date.now();
    await events.ingest(projectId, [
      ...PURCHASERS.flatMap(([r, f, m], index) =>
        Array.from({ length: f }, (_, k) => ({
          profileId: purchasers[index]!,
          name: 'Charged',
          at: now - RECENCY_DAYS[r]! * DAY - k * HOUR,
          // The first carries the rest of m hundreds, the others 1 each; one as a decimal string, as clients send them.
          properties: { Amount: k === 0 ? String(m * 100 - (f - 1)) : 1 },
        })),
      ),
      { profileId: viewer, name: 'Viewed', at: now - DAY },
      { profileId: lapsed, name: 'Charged', at: now - 400 * DAY, properties: { Amount: 1000 } },
    ]);
    return { projectId, purchasers, viewer, lapsed };
  };

  const configure = async (projectId: string, input: Record<string, unknown> = { purchaseEvent: 'Charged', amountProperty: 'Amount' }) => {
    const result = await sut.query<{ configureRfm: RfmView }>(CONFIGURE, { input }, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    expect(result.data!.configureRfm.failure).toBeNull();
    return result.data!.configureRfm;
  };

  const read = async (projectId: string) => {
    const result = await sut.query<{ rfm: RfmView | null }>(RFM, {}, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    return result.data!.rfm;
  };

  const profileRfm = async (projectId: string, ids: string[]) => {
    const result = await sut.query<{ _entities: { id: string; rfm: Record<string, unknown> | null; segments: { id: string; name: string }[] }[] }>(
      PROFILE_RFM,
      { reps: ids.map((id) => ({ __typename: 'Profile', id })) },
      secretKeyCaller(projectId),
    );
    expect(result.errors).toBeUndefined();
    return result.data!._entities;
  };

  const classOf = (rfm: RfmView, key: string) => rfm.classes.find((entry) => entry.class === key)!;
  const changesOf = (projectId: string, segmentIds: string[]) => changes.filter((change) => change.projectId === projectId && segmentIds.includes(change.segmentId));

  it('places known purchasers in the expected classes, as segments with members, sizes, Profile.rfm and Profile.segments', async () => {
    const { projectId, purchasers, viewer, lapsed } = await seedProject();
    const rfm = await configure(projectId);
    expect(rfm).toMatchObject({ purchaseEvent: 'Charged', amountProperty: 'Amount', windowDays: 365, timeZone: 'UTC', recomputeAt: '03:00', profilesScored: 15 });
    expect(rfm.computedAt).not.toBeNull();
    expect(new Date(rfm.nextRecomputeAt).toISOString()).toMatch(/T03:00:00\.000Z$/);
    expect(rfm.classes.map((entry) => entry.name)).toEqual([
      'Champions',
      'Loyal',
      'Potential loyalist',
      'New',
      'Promising',
      'Needs attention',
      'About to sleep',
      'At risk',
      "Can't lose them",
      'Hibernating',
    ]);
    for (const entry of rfm.classes) {
      const expected = PURCHASERS.flatMap(([, , , key], index) => (key === entry.class ? [purchasers[index]!] : [])).sort();
      expect({ class: entry.class, members: entry.segment.members.map((member) => member.id).sort() }).toEqual({ class: entry.class, members: expected });
      expect(entry.size).toBe(expected.length);
      expect(entry.segment).toMatchObject({ name: entry.name, kind: 'STATIC', size: expected.length });
    }
    // Thresholds: the class's score ranges, and what those R scores covered in days.
    expect(classOf(rfm, 'CHAMPIONS')).toMatchObject({ r: { min: 5, max: 5 }, fm: { min: 4, max: 5 }, recencyDays: { min: 1, max: 1 } });
    expect(classOf(rfm, 'AT_RISK')).toMatchObject({ r: { min: 1, max: 2 }, fm: { min: 3, max: 4 }, recencyDays: { min: 100, max: 200 } });
    expect(rfm.quintiles!.recencyDays).toEqual([1, 2, 3, 4, 5].map((score) => ({ score, min: RECENCY_DAYS[score], max: RECENCY_DAYS[score], profiles: 3 })));
    expect(rfm.quintiles!.frequency).toEqual([1, 2, 3, 4, 5].map((score) => ({ score, min: score, max: score, profiles: 3 })));
    expect(rfm.quintiles!.monetary).toEqual([1, 2, 3, 4, 5].map((score) => ({ score, min: score * 100, max: score * 100, profiles: 3 })));

    const [champion, fresh, , , , , , , , , , , , , , none, old] = await profileRfm(projectId, [...purchasers, viewer, lapsed]);
    const champions = classOf(rfm, 'CHAMPIONS').segment.id;
    expect(champion!.rfm).toEqual({ r: 5, f: 5, m: 5, fm: 5, class: 'CHAMPIONS', recencyDays: 1, frequency: 5, monetary: 500, segment: { id: champions, name: 'Champions' } });
    expect(champion!.segments).toEqual([{ id: champions, name: 'Champions' }]);
    expect(fresh!.rfm).toMatchObject({ r: 5, f: 1, m: 1, fm: 1, class: 'NEW' });
    expect(none!.rfm).toBeNull();
    expect(old!.rfm).toBeNull();

    // Each placement was published as an entry, cause rfm.
    const family = rfm.classes.map((entry) => entry.segment.id);
    await eventually(() => changesOf(projectId, family).length >= 15 || undefined);
    expect(changesOf(projectId, family)).toHaveLength(15);
    expect(changesOf(projectId, family).every((change) => change.change === 'entered' && change.cause === 'rfm' && change.version === 1 && change.eventId === null)).toBe(true);

    // Configuring again (another window) keeps the same ten segments.
    const again = await configure(projectId, { purchaseEvent: 'Charged', amountProperty: 'Amount', windowDays: 300 });
    expect(again.classes.map((entry) => entry.segment.id)).toEqual(family);
    expect(again.windowDays).toBe(300);
  });

  it('moves a profile whose purchases changed to its new class on recompute: one exit, one entry, and segments naming the class follow', async () => {
    const { projectId, purchasers } = await seedProject();
    const rfm = await configure(projectId);
    const newcomer = purchasers[1]!;
    const newSegment = classOf(rfm, 'NEW').segment.id;
    const potential = classOf(rfm, 'POTENTIAL_LOYALIST').segment.id;
    const named = await sut.query<{ createSegment: { id: string; size: number } }>(
      `mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id size } }`,
      { input: { name: 'New customers', kind: 'DYNAMIC', rules: { segment: { segmentId: newSegment } } } },
      secretKeyCaller(projectId),
    );
    expect(named.data!.createSegment.size).toBe(1);
    const family = rfm.classes.map((entry) => entry.segment.id);
    await eventually(() => (changesOf(projectId, family).length >= 15 && changesOf(projectId, [named.data!.createSegment.id]).length >= 1) || undefined);
    changes = [];

    // A second, small purchase, live: F 2, M still lowest, R still highest → Potential loyalist (R 5, FM 2).
    await events.ingest(projectId, [{ profileId: newcomer, name: 'Charged', at: Date.now(), properties: { Amount: 5 } }]);
    await eventually(async () => {
      const [row] = (await db.query(
        `SELECT s.n FROM "${sut.schema}".leaf_state s JOIN "${sut.schema}".audience_leaf l ON l.id = s.leaf_id WHERE s.project_id = $1 AND s.profile_id = $2 AND l.kind = 'event'`,
        [projectId, newcomer],
      )) as { n: number }[];
      return row?.n === 2 || undefined;
    });
    const result = await sut.query<{ recomputeRfm: RfmView }>(RECOMPUTE, {}, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    expect(classOf(result.data!.recomputeRfm, 'NEW').size).toBe(0);
    expect(classOf(result.data!.recomputeRfm, 'POTENTIAL_LOYALIST').size).toBe(3);

    await eventually(() => changesOf(projectId, [...family, named.data!.createSegment.id]).length >= 3 || undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seen = changesOf(projectId, family).map(({ segmentId, profileId, change, cause }) => ({ segmentId, profileId, change, cause }));
    expect(seen).toEqual([
      { segmentId: newSegment, profileId: newcomer, change: 'exited', cause: 'rfm' },
      { segmentId: potential, profileId: newcomer, change: 'entered', cause: 'rfm' },
    ]);
    expect(changesOf(projectId, [named.data!.createSegment.id])).toEqual([expect.objectContaining({ profileId: newcomer, change: 'exited', cause: 'segment' })]);
    const [moved] = await profileRfm(projectId, [newcomer]);
    expect(moved!.rfm).toMatchObject({ r: 5, f: 2, m: 1, fm: 2, class: 'POTENTIAL_LOYALIST', frequency: 2, monetary: 105, recencyDays: 0, segment: { id: potential } });
    expect(moved!.segments.map((segment) => segment.id)).toEqual([potential]);

    // Recomputing with nothing new changes nothing.
    changes = [];
    await sut.query(RECOMPUTE, {}, secretKeyCaller(projectId));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(changesOf(projectId, family)).toEqual([]);
  });

  it('keeps the family managed: members, rules, names, archiving and imports of its segments are refused (CONFLICT naming the family)', async () => {
    const { projectId, purchasers } = await seedProject();
    const rfm = await configure(projectId);
    const champions = classOf(rfm, 'CHAMPIONS').segment;
    const family = rfm.classes.map((entry) => entry.segment.id);
    await eventually(() => changesOf(projectId, family).length >= 15 || undefined);
    changes = [];
    const attempts: [string, string, Record<string, unknown>, string][] = [
      ['add', `mutation($id: ID!, $p: [ID!]!) { addSegmentMembers(segmentId: $id, profileIds: $p) { id } }`, { p: [purchasers[1]] }, 'segmentId'],
      ['remove', `mutation($id: ID!, $p: [ID!]!) { removeSegmentMembers(segmentId: $id, profileIds: $p) { id } }`, { p: [purchasers[0]] }, 'segmentId'],
      ['rules', `mutation($id: ID!) { updateSegment(id: $id, input: { rules: { event: { name: "Charged" } } }) { id } }`, {}, 'input.rules'],
      ['rename', `mutation($id: ID!) { updateSegment(id: $id, input: { name: "Best" }) { id } }`, {}, 'input.name'],
      ['archive', `mutation($id: ID!) { archiveSegment(id: $id) { id } }`, {}, 'id'],
      [
        'import',
        `mutation($id: ID!) { importSegment(input: { segmentId: $id, format: CSV }) { id } }`,
        {},
        'input.segmentId',
      ],
    ];
    for (const [, mutation, variables, field] of attempts) {
      const result = await sut.query(mutation, { id: champions.id, ...variables }, secretKeyCaller(projectId));
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'SEGMENT_MANAGED', field });
      expect(result.errors?.[0]?.message).toMatch(/belongs to the RFM family \(class "Champions"\)/);
    }
    // A description is not the family's: it may change.
    const described = await sut.query(`mutation($id: ID!) { updateSegment(id: $id, input: { name: "Champions", description: "Our best" }) { id } }`, { id: champions.id }, secretKeyCaller(projectId));
    expect(described.errors).toBeUndefined();
    const after = (await read(projectId))!;
    expect(classOf(after, 'CHAMPIONS').segment).toMatchObject({ id: champions.id, name: 'Champions', size: champions.size });
    expect(classOf(after, 'NEW').segment.members).toEqual(classOf(rfm, 'NEW').segment.members);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(changesOf(projectId, family)).toEqual([]);
  });

  it('recomputes daily at recomputeAt in the project zone, by a durable timer (injected clock)', async () => {
    const { projectId } = await seedProject();
    const rfm = await configure(projectId, { purchaseEvent: 'Charged', amountProperty: 'Amount', timeZone: 'Europe/Berlin', recomputeAt: '04:30' });
    const next = new Date(rfm.nextRecomputeAt);
    const berlin = (date: Date) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' }).format(date);
    expect(berlin(next)).toBe('04:30');
    expect(next.getTime() - new Date(rfm.computedAt!).getTime()).toBeGreaterThan(0);
    expect(next.getTime() - new Date(rfm.computedAt!).getTime()).toBeLessThanOrEqual(DAY);
    const family = rfm.classes.map((entry) => entry.segment.id);
    await eventually(() => changesOf(projectId, family).length >= 15 || undefined);
    changes = [];

    const clock = sut.app.get(Clock);
    const realNow = clock.now.bind(clock);
    try {
      clock.now = () => new Date(next.getTime() + 1000);
      expect(await sut.app.get(RfmSchedule).runDue()).toBeGreaterThanOrEqual(1);
      const after = (await read(projectId))!;
      expect(new Date(after.computedAt!).getTime()).toBe(next.getTime() + 1000);
      expect(berlin(new Date(after.nextRecomputeAt))).toBe('04:30');
      expect(new Date(after.nextRecomputeAt).getTime()).toBeGreaterThan(next.getTime() + 1000);
      // Every purchase is as many local days older as the Berlin date moved between the two
      // computations (none when the first ran between midnight and 04:30 there, one otherwise):
      // ranks, and so classes, stay. The champions' last purchase was a day before the first.
      const berlinDay = (date: Date) => Date.parse(new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(date));
      const daysOn = Math.round((berlinDay(new Date(after.computedAt!)) - berlinDay(new Date(rfm.computedAt!))) / DAY);
      expect(daysOn).toBeLessThanOrEqual(1);
      expect(classOf(after, 'CHAMPIONS').recencyDays).toEqual({ min: 1 + daysOn, max: 1 + daysOn });
      // Not due any more: a second pass leaves it alone.
      await sut.app.get(RfmSchedule).runDue();
      expect((await read(projectId))!.computedAt).toBe(after.computedAt);
    } finally {
      clock.now = realNow;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(changesOf(projectId, family)).toEqual([]);
  });

  it('keeps projects apart', async () => {
    const a = await seedProject();
    const b = { projectId: randomUUID(), profiles: [randomUUID(), randomUUID()] };
    await seedKnownProfiles(sut, b.projectId, b.profiles);
    await events.ingest(
      b.projectId,
      b.profiles.map((profileId, index) => ({ profileId, name: 'Charged', at: Date.now() - (index + 1) * DAY, properties: { Amount: 10 } })),
    );
    const inA = await configure(a.projectId);
    const inB = await configure(b.projectId);
    expect(inB.profilesScored).toBe(2);
    expect(inB.classes.reduce((sum, entry) => sum + entry.size, 0)).toBe(2);
    expect(inA.profilesScored).toBe(15);
    expect(inB.classes.some((entry) => inA.classes.some((other) => other.segment.id === entry.segment.id))).toBe(false);
    // A's key sees neither B's scores nor B's segments.
    expect((await profileRfm(a.projectId, b.profiles)).map((profile) => profile.rfm)).toEqual([null, null]);
    const other = await sut.query(`query($id: ID!) { segment(id: $id) { id } }`, { id: inB.classes[0]!.segment.id }, secretKeyCaller(a.projectId));
    expect(other.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });
    // A project without RFM: nothing to read, nothing to recompute.
    const c = randomUUID();
    expect(await read(c)).toBeNull();
    const recompute = await sut.query(RECOMPUTE, {}, secretKeyCaller(c));
    expect(recompute.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'RFM_NOT_CONFIGURED' });
    // Publishable keys cannot configure.
    const publishable = await sut.query(CONFIGURE, { input: { purchaseEvent: 'Charged', amountProperty: 'Amount' } }, publishableKeyCaller(c));
    expect(publishable.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
  });

  it("scores a row as PostgreSQL's ntile(5) would, for every count of purchasers up to 40", async () => {
    const [check] = (await db.query(
      `SELECT count(*) FILTER (WHERE tile <> ${ntileAt('i', 'n')})::int AS wrong, count(*)::int AS rows
       FROM (SELECT n, i, ntile(5) OVER (PARTITION BY n ORDER BY i) AS tile FROM generate_series(1, 40) n, generate_series(1, n) i) rows`,
    )) as { wrong: number; rows: number }[];
    expect(check).toEqual({ wrong: 0, rows: 820 });
  });

  it.each([
    [{ purchaseEvent: '', amountProperty: 'Amount' }, 'input.purchaseEvent'],
    [{ purchaseEvent: 'Charged', amountProperty: 'a..b' }, 'input.amountProperty'],
    [{ purchaseEvent: 'Charged', amountProperty: 'Amount', windowDays: 0 }, 'input.windowDays'],
    [{ purchaseEvent: 'Charged', amountProperty: 'Amount', windowDays: 4000 }, 'input.windowDays'],
    [{ purchaseEvent: 'Charged', amountProperty: 'Amount', recomputeAt: '24:00' }, 'input.recomputeAt'],
    [{ purchaseEvent: 'Charged', amountProperty: 'Amount', timeZone: 'Mars/Olympus_Mons' }, 'input.timeZone'],
  ])('refuses %j with BAD_USER_INPUT naming %s, writing nothing', async (input, field) => {
    const projectId = randomUUID();
    const result = await sut.query(CONFIGURE, { input }, secretKeyCaller(projectId));
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(result.errors?.[0]?.message).toContain(field);
    expect(await read(projectId)).toBeNull();
    const [{ n }] = (await db.query(`SELECT count(*)::int AS n FROM "${sut.schema}".segment WHERE project_id = $1`, [projectId])) as { n: number }[];
    expect(n).toBe(0);
  });
});
