import { clevertapCommands } from './clevertap-upload.js';

const receivedAt = new Date('2026-01-01T00:00:00.000Z');
const sut = (records: unknown[]) => clevertapCommands('account-1', { d: records }, receivedAt);
const event = (extra: Record<string, unknown> = {}) => ({ type: 'event', identity: 'u-1', evtName: 'Charged', evtData: { amount: 3 }, ...extra });
const nested = (levels: number): unknown => {
  let value: unknown = 1;
  for (let level = 0; level < levels; level++) value = { a: value };
  return value;
};

describe('clevertapCommands', () => {
  it('reports a record equal to an earlier one without ts instead of counting it twice', () => {
    const { commands, unprocessed } = sut([event(), event({ evtName: 'Other' }), event()]);
    expect(commands.map((command) => command.name)).toEqual(['Charged', 'Other']);
    expect(unprocessed).toEqual([
      {
        index: 2,
        status: 'fail',
        code: 400,
        error: 'ts: is required to tell this record from record 0 of the upload, which is the same (both would be stamped with the time of receipt)',
        record: event(),
      },
    ]);
  });

  it('reports a record repeated with the same ts as stored once', () => {
    const ts = 1_767_000_000;
    const { commands, unprocessed } = sut([event({ ts }), event({ ts: ts + 1 }), { ...event({ ts }), evtData: { amount: 3 } }]);
    expect(commands).toHaveLength(2);
    expect(unprocessed.map(({ index, error }) => ({ index, field: error.split(':')[0] }))).toEqual([{ index: 2, field: 'record' }]);
  });

  it('refuses a ts more than a year after receipt (milliseconds sent for seconds), and takes one a year ahead', () => {
    const yearAhead = receivedAt.getTime() / 1000 + 365 * 24 * 3600;
    const { commands, unprocessed } = sut([event({ ts: yearAhead }), event({ ts: yearAhead + 1 }), event({ ts: receivedAt.getTime() })]);
    expect(commands.map((command) => command.timestamp)).toEqual([new Date(yearAhead * 1000)]);
    expect(unprocessed.map(({ index, error }) => ({ index, error }))).toEqual([
      { index: 1, error: 'ts: must not be more than a year after the request is received (ts counts seconds since 1970, not milliseconds)' },
      { index: 2, error: 'ts: must not be more than a year after the request is received (ts counts seconds since 1970, not milliseconds)' },
    ]);
  });

  it('refuses evtData and profileData nested past 32 levels, naming the field at the limit, before anything recurses', () => {
    const { commands, unprocessed } = sut([
      event({ evtData: nested(32) }),
      event({ evtData: nested(33) }),
      { type: 'profile', identity: 'u-1', profileData: { deep: nested(5000) } },
    ]);
    expect(commands).toHaveLength(1);
    expect(unprocessed.map(({ index, error }) => ({ index, error }))).toEqual([
      { index: 1, error: `evtData${'.a'.repeat(32)}: must not nest objects and arrays more than 32 levels deep` },
      { index: 2, error: `profileData.deep${'.a'.repeat(31)}: must not nest objects and arrays more than 32 levels deep` },
    ]);
    // The answer echoes what identifies such a record, not the record JSON.stringify could not write.
    expect(unprocessed[1]!.record).toEqual({ type: 'profile', identity: 'u-1' });
    expect(() => JSON.stringify(unprocessed)).not.toThrow();
  });

  it('quotes a data key that would blur the field it names (fast-check found `profileData.:: $add …`)', () => {
    const { unprocessed } = sut([
      { type: 'profile', identity: 'u-1', profileData: { ':': { $add: true } } },
      { type: 'profile', identity: 'u-2', profileData: { 'first name': { $incr: 'x' } } },
      { type: 'profile', identity: 'u-3', profileData: { Plan: { $add: true } } },
    ]);
    expect(unprocessed.map(({ index, error }) => ({ index, error }))).toEqual([
      { index: 0, error: 'profileData[":"]: $add takes a string, a number or a non-empty array of them' },
      { index: 1, error: 'profileData["first name"]: $incr takes a number' },
      { index: 2, error: 'profileData.Plan: $add takes a string, a number or a non-empty array of them' },
    ]);
  });

  it('drops a "__proto__" key of the data, as Segment messages do', () => {
    const evtData = JSON.parse('{"__proto__": {"x": 1}, "a": 1}') as Record<string, unknown>;
    const profileData = JSON.parse('{"__proto__": {"x": 1}, "Plan": "gold"}') as Record<string, unknown>;
    const [tracked, identified] = sut([event({ evtData }), { type: 'profile', identity: 'u-1', profileData }]).commands;
    expect(JSON.stringify(tracked!.properties)).toBe('{"a":1}');
    expect(Object.getPrototypeOf(identified!.traits)).toBe(Object.prototype);
    expect(JSON.stringify(identified!.traits)).toBe('{"Plan":"gold"}');
  });
});
