import { canonicalTimeZone, nextDailyRun } from './daily-run.js';

describe('nextDailyRun', () => {
  it('is today at that time when it is still ahead, else tomorrow', () => {
    expect(nextDailyRun(new Date('2026-12-05T02:00:00Z'), '03:00', 'UTC').toISOString()).toBe('2026-12-05T03:00:00.000Z');
    expect(nextDailyRun(new Date('2026-12-05T03:00:00Z'), '03:00', 'UTC').toISOString()).toBe('2026-12-06T03:00:00.000Z');
    expect(nextDailyRun(new Date('2026-12-31T23:59:00Z'), '00:00', 'UTC').toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('reads the time on the wall clock of the zone', () => {
    // 03:00 in Berlin (UTC+1 in winter) is 02:00Z; in Tokyo the local day is already the 6th.
    expect(nextDailyRun(new Date('2026-12-05T01:00:00Z'), '03:00', 'Europe/Berlin').toISOString()).toBe('2026-12-05T02:00:00.000Z');
    expect(nextDailyRun(new Date('2026-12-05T20:00:00Z'), '03:00', 'Asia/Tokyo').toISOString()).toBe('2026-12-06T18:00:00.000Z');
    expect(nextDailyRun(new Date('2026-12-05T12:00:00Z'), '03:00', 'America/New_York').toISOString()).toBe('2026-12-06T08:00:00.000Z');
  });

  it('follows daylight saving: summer offsets, and a skipped time runs after the jump', () => {
    expect(nextDailyRun(new Date('2026-07-01T12:00:00Z'), '03:00', 'Europe/Berlin').toISOString()).toBe('2026-07-02T01:00:00.000Z');
    // 29 March 2026: Berlin jumps from 02:00 to 03:00; 02:30 does not exist and becomes 03:30 CEST.
    expect(nextDailyRun(new Date('2026-03-28T12:00:00Z'), '02:30', 'Europe/Berlin').toISOString()).toBe('2026-03-29T01:30:00.000Z');
    // The day after, 02:30 CEST again.
    expect(nextDailyRun(new Date('2026-03-29T12:00:00Z'), '02:30', 'Europe/Berlin').toISOString()).toBe('2026-03-30T00:30:00.000Z');
    // 25 October 2026: 02:30 happens twice; the run is at one of them and the next day is a day later.
    const autumn = nextDailyRun(new Date('2026-10-24T12:00:00Z'), '02:30', 'Europe/Berlin').toISOString();
    expect(['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z']).toContain(autumn);
  });

  it('knows IANA zones and refuses others', () => {
    expect(canonicalTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(canonicalTimeZone('Mars/Olympus_Mons')).toBeNull();
  });
});
