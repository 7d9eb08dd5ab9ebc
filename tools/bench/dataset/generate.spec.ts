import { COUNTRIES } from './world.js';
import { DAY_MS, DatasetGenerator, EVENT_NAMES, EventKind, isoFormatter, startOf, type DatasetParameters } from './generate.js';

const parameters: DatasetParameters = { profiles: 3000, events: 24_000, now: '2026-12-01T00:00:00.000Z', months: 12, seed: 7 };

interface Row {
  id: string;
  profileId: string;
  messageId: string;
  type: string;
  name: string;
  userId: string | null;
  anonymousId: string | null;
  properties: Record<string, unknown>;
  timestamp: string;
  receivedAt: string;
  verified: string;
}

function rowsOf(generator: DatasetGenerator): { rows: Row[]; claims: string[] } {
  const emitter = generator.eventRows();
  const rows: Row[] = [];
  const claims: string[] = [];
  while (!emitter.done) {
    const chunk = emitter.take(700);
    for (const line of chunk.events.toString().split('\n').slice(0, -1)) {
      const f = line.split('\t');
      const nullable = (value: string) => (value === '\\N' ? null : value);
      rows.push({
        id: f[0]!,
        profileId: f[2]!,
        messageId: f[3]!,
        type: f[4]!,
        name: f[5]!,
        userId: nullable(f[6]!),
        anonymousId: nullable(f[7]!),
        properties: JSON.parse(f[8]!) as Record<string, unknown>,
        timestamp: f[10]!,
        receivedAt: f[12]!,
        verified: f[13]!,
      });
    }
    claims.push(...chunk.claims.toString().split('\n').slice(0, -1));
  }
  return { rows, claims };
}

describe('DatasetGenerator', () => {
  const sut = new DatasetGenerator(parameters);
  const { rows, claims } = rowsOf(sut);

  it('makes the same rows from the same parameters, and others from another seed', () => {
    const again = rowsOf(new DatasetGenerator(parameters)).rows;
    expect(again).toEqual(rows);
    expect(new DatasetGenerator(parameters).profileAt(42)).toEqual(sut.profileAt(42));
    const other = new DatasetGenerator({ ...parameters, seed: 8 });
    expect(other.profileAt(42).id).not.toBe(sut.profileAt(42).id);
  });

  it('makes exactly the events asked for, in time order, within the months before now', () => {
    const plan = sut.events();
    expect(plan.count).toBe(parameters.events);
    expect(rows).toHaveLength(parameters.events);
    const start = startOf(parameters).getTime();
    const now = new Date(parameters.now).getTime();
    expect(start).toBe(Date.parse('2025-12-01T00:00:00.000Z'));
    const misplaced = Array.from(plan.time).filter((time, k) => time < start || time >= now || (k > 0 && time < plan.time[k - 1]!));
    expect(misplaced).toEqual([]);
  });

  it('gives every profile an event at its signup, and most of them a short life (a power law of activity)', () => {
    const counts = sut.eventCounts();
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
    const first = new Map<string, string>();
    for (const row of rows) if (!first.has(row.profileId)) first.set(row.profileId, row.timestamp);
    for (const index of [0, 1, 500, 2999]) {
      const profile = sut.profileAt(index);
      expect(first.get(profile.id)).toBe(new Date(profile.createdAt).toISOString());
    }
    const lastSeen = sut.lastSeen();
    const lived = Array.from(lastSeen, (last, i) => (last - sut.profileAt(i).createdAt) / DAY_MS);
    const goneBy = (days: number) => lived.filter((d) => d <= days).length / lived.length;
    expect(goneBy(3)).toBeGreaterThan(0.6);
    expect(goneBy(3)).toBeLessThan(0.85);
    expect(goneBy(30)).toBeGreaterThan(0.85);
    const sorted = Array.from(counts).sort((a, b) => b - a);
    const topShare = sorted.slice(0, parameters.profiles / 100).reduce((sum, n) => sum + n, 0) / parameters.events;
    expect(topShare).toBeGreaterThan(0.2);
  });

  it('stores rows as ingest does: UUIDv7 ids minted at reception, one claim per messageId, user ids only once identified', () => {
    const invalid = rows.filter(
      (row) =>
        !/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(row.id) ||
        parseInt(row.id.replace(/-/g, '').slice(0, 12), 16) !== Date.parse(row.receivedAt) ||
        Date.parse(row.receivedAt) < Date.parse(row.timestamp) ||
        row.type !== (row.name === 'identify' ? 'identify' : 'track') ||
        (row.userId ?? row.anonymousId) === null,
    );
    expect(invalid).toEqual([]);
    expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
    expect(new Set(rows.map((row) => row.messageId)).size).toBe(rows.length);
    expect(claims.map((line) => line.split('\t')[1])).toEqual(rows.map((row) => row.messageId));
    const byProfile = new Map(Array.from({ length: parameters.profiles }, (_, i) => [sut.profileAt(i).id, sut.profileAt(i)]));
    const foreign = rows.filter((row) => {
      const profile = byProfile.get(row.profileId);
      return !profile || (row.userId !== null && row.userId !== profile.externalId) || (row.anonymousId !== null && row.anonymousId !== profile.anonymousId);
    });
    expect(foreign).toEqual([]);
  });

  it('has every event kind, Charged with Amount (some as decimal strings), currency and category', () => {
    const names = new Set(rows.map((row) => row.name));
    for (const name of EVENT_NAMES) expect(names).toContain(name);
    const charged = rows.filter((row) => row.name === EVENT_NAMES[EventKind.Charged]);
    expect(charged.length / rows.length).toBeGreaterThan(0.01);
    const strings = charged.filter((row) => typeof row.properties.Amount === 'string');
    expect(strings.length / charged.length).toBeGreaterThan(0.05);
    expect(strings.length / charged.length).toBeLessThan(0.3);
    const currencies = new Set(COUNTRIES.map((country) => country.currency));
    const malformed = charged.filter(
      (row) => !/^\d+(\.\d+)?$/.test(String(row.properties.Amount)) || !currencies.has(String(row.properties.currency)) || typeof row.properties.category !== 'string',
    );
    expect(malformed).toEqual([]);
  });

  it('spreads profiles over about forty time zones, with plans, ages, referrers, consent and contact details on some', () => {
    const profiles = Array.from({ length: parameters.profiles }, (_, i) => sut.profileAt(i));
    expect(new Set(profiles.map((p) => p.timeZone).filter(Boolean)).size).toBeGreaterThanOrEqual(35);
    const share = (test: (p: (typeof profiles)[number]) => boolean) => profiles.filter(test).length / profiles.length;
    expect(share((p) => p.externalId !== null)).toBeGreaterThan(0.6);
    expect(share((p) => p.email !== null)).toBeGreaterThan(0.4);
    expect(share((p) => p.phone !== null)).toBeGreaterThan(0.25);
    expect(share((p) => typeof p.properties.referrer === 'string')).toBeGreaterThan(0.03);
    expect(share((p) => typeof p.properties.age === 'number')).toBeGreaterThan(0.5);
    expect(share((p) => p.consent.email?.subscribed === true)).toBeGreaterThan(0.3);
    for (const p of profiles.filter((p) => typeof p.properties.referrer === 'string').slice(0, 50)) {
      const referrer = Number(String(p.properties.referrer).slice('user-'.length));
      expect(referrer).toBeLessThan(p.index);
    }
    // Signups grow over the year.
    const start = startOf(parameters).getTime();
    const firstQuarter = profiles.filter((p) => p.createdAt < start + 91 * DAY_MS).length;
    const lastQuarter = profiles.filter((p) => p.createdAt >= new Date(parameters.now).getTime() - 91 * DAY_MS).length;
    expect(lastQuarter).toBeGreaterThan(firstQuarter * 1.5);
  });
});

describe('isoFormatter', () => {
  it('formats whole milliseconds as Date#toISOString does', () => {
    const sut = isoFormatter();
    for (const time of [0, 1_764_547_200_000, 1_764_633_599_999, 1_780_000_000_123, 1_700_000_000_001]) {
      expect(sut(time)).toBe(new Date(time).toISOString());
    }
  });
});
