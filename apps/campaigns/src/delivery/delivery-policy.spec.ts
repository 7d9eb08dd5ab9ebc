import { bucketOf, inControlGroup, inHoldout, quietHoursEnd } from './delivery-policy.js';

const ids = Array.from({ length: 20_000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);

describe('delivery policy', () => {
  it('buckets stickily and evenly', () => {
    expect(bucketOf('a')).toBe(bucketOf('a'));
    const control = ids.filter((id) => inControlGroup('c1', id, 10)).length / ids.length;
    expect(control).toBeGreaterThan(0.09);
    expect(control).toBeLessThan(0.11);
    expect(ids.filter((id) => inControlGroup('c1', id, 0))).toEqual([]);
  });

  it('draws the control group per campaign and the holdout per project, independently', () => {
    const inC1 = new Set(ids.filter((id) => inControlGroup('c1', id, 10)));
    const inC2 = ids.filter((id) => inControlGroup('c2', id, 10));
    const overlap = inC2.filter((id) => inC1.has(id)).length / inC2.length;
    expect(overlap).toBeLessThan(0.15);
    const held = ids.filter((id) => inHoldout('p1', id, 5));
    expect(held.length / ids.length).toBeGreaterThan(0.04);
    expect(held.length / ids.length).toBeLessThan(0.06);
    expect(ids.filter((id) => inHoldout('p1', id, 5))).toEqual(held);
  });

  it('finds the end of quiet hours across midnight and DST', () => {
    const settings = { timeZone: 'Europe/Berlin', quietHours: { start: '21:00', end: '09:00' } };
    expect(quietHoursEnd(new Date('2026-06-01T12:00:00Z'), settings)).toBeNull(); // 14:00 CEST
    expect(quietHoursEnd(new Date('2026-06-01T20:00:00Z'), settings)?.toISOString()).toBe('2026-06-02T07:00:00.000Z'); // 22:00 → 09:00 CEST
    expect(quietHoursEnd(new Date('2026-06-02T05:00:00Z'), settings)?.toISOString()).toBe('2026-06-02T07:00:00.000Z'); // 07:00 → 09:00
    expect(quietHoursEnd(new Date('2026-03-28T21:00:00Z'), settings)?.toISOString()).toBe('2026-03-29T07:00:00.000Z'); // 22:00 CET → 09:00 CEST
    expect(quietHoursEnd(new Date('2026-06-01T07:00:00Z'), settings)).toBeNull(); // 09:00 exactly: open
    const daytime = { timeZone: 'UTC', quietHours: { start: '12:00', end: '13:00' } };
    expect(quietHoursEnd(new Date('2026-06-01T12:30:00Z'), daytime)?.toISOString()).toBe('2026-06-01T13:00:00.000Z');
    expect(quietHoursEnd(new Date('2026-06-01T12:30:00Z'), { timeZone: 'UTC', quietHours: null })).toBeNull();
  });

  it('evaluates quiet hours in the zone given (a profile’s own), across both DST edges', () => {
    const quietHours = { start: '21:00', end: '09:00' };
    const at = (iso: string, timeZone: string) => quietHoursEnd(new Date(iso), { timeZone, quietHours })?.toISOString() ?? null;
    // 05:30 UTC on the night New York springs forward (2027-03-14): 00:30 EST there, quiet until 09:00 EDT (13:00Z, a 11 h night);
    // 14:30 in Tokyo (open); 06:30 CET in Berlin (quiet until 08:00Z).
    expect(at('2027-03-14T05:30:00Z', 'America/New_York')).toBe('2027-03-14T13:00:00.000Z');
    expect(at('2027-03-14T05:30:00Z', 'Asia/Tokyo')).toBeNull();
    expect(at('2027-03-14T05:30:00Z', 'Europe/Berlin')).toBe('2027-03-14T08:00:00.000Z');
    // The night it falls back (2027-11-07): 01:30 EDT, quiet until 09:00 EST (14:00Z, a 13 h night).
    expect(at('2027-11-07T05:30:00Z', 'America/New_York')).toBe('2027-11-07T14:00:00.000Z');
    // An end the clocks skip: 23:00–02:30 on the spring-forward night ends when the clocks jump (03:00 EDT = 07:00Z), not at 03:30.
    const skipped = { timeZone: 'America/New_York', quietHours: { start: '23:00', end: '02:30' } };
    expect(quietHoursEnd(new Date('2027-03-14T06:30:00Z'), skipped)?.toISOString()).toBe('2027-03-14T07:00:00.000Z');
    expect(quietHoursEnd(new Date('2027-03-14T07:00:00Z'), skipped)).toBeNull(); // 03:00 EDT: open
    // An end in the hour New York repeats (2027-11-07, 01:00–02:00 twice): in the first pass the first 01:30 (EDT), in the second the second (EST), not the next day's.
    const repeated = { timeZone: 'America/New_York', quietHours: { start: '00:30', end: '01:30' } };
    expect(quietHoursEnd(new Date('2027-11-07T05:15:00Z'), repeated)?.toISOString()).toBe('2027-11-07T05:30:00.000Z'); // 01:15 EDT
    expect(quietHoursEnd(new Date('2027-11-07T06:15:00Z'), repeated)?.toISOString()).toBe('2027-11-07T06:30:00.000Z'); // 01:15 EST
    // Lord Howe moves by 30 minutes (02:00 → 02:30 on 2027-10-03): an end of 02:15 is the gap's end.
    const lordHowe = { timeZone: 'Australia/Lord_Howe', quietHours: { start: '22:00', end: '02:15' } };
    expect(quietHoursEnd(new Date('2027-10-02T14:00:00Z'), lordHowe)?.toISOString()).toBe('2027-10-02T15:30:00.000Z');
  });
});
