import { localTimeInstants } from './local-time.js';

describe('local-time instants', () => {
  it('places 10:00 in each zone, grouping zones at the same offset, across DST', () => {
    const startAt = new Date('2026-03-29T08:00:00Z'); // 10:00 in Berlin (CEST since 01:00 UTC that day)
    const instants = localTimeInstants(startAt, 'Europe/Berlin', ['Europe/Berlin', 'Europe/Paris', 'Europe/London', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney']);
    const byZone = new Map([...instants].flatMap(([at, zones]) => zones.map((zone) => [zone, new Date(at).toISOString()] as const)));
    expect(byZone.get('Europe/Berlin')).toBe('2026-03-29T08:00:00.000Z');
    expect(byZone.get('Europe/Paris')).toBe('2026-03-29T08:00:00.000Z');
    expect(byZone.get('Europe/London')).toBe('2026-03-29T09:00:00.000Z'); // BST began that night
    expect(byZone.get('America/New_York')).toBe('2026-03-29T14:00:00.000Z'); // EDT (since March 8)
    expect(byZone.get('Asia/Kolkata')).toBe('2026-03-29T04:30:00.000Z');
    expect(byZone.get('Australia/Sydney')).toBe('2026-03-28T23:00:00.000Z'); // AEDT until April 5
    expect(instants.get(Date.parse('2026-03-29T08:00:00Z'))).toEqual(['Europe/Berlin', 'Europe/Paris']);
  });

  it('moves a wall-clock time skipped by spring-forward to the next valid one', () => {
    const instants = localTimeInstants(new Date('2026-03-08T02:30:00Z'), 'UTC', ['America/New_York']);
    expect([...instants.keys()].map((at) => new Date(at).toISOString())).toEqual(['2026-03-08T07:30:00.000Z']); // 03:30 EDT
  });
});
