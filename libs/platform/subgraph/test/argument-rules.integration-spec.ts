import { randomUUID } from 'node:crypto';
import { secretKeyCaller, startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';

const WRITE = `mutation($input: ProbeNoteInput!) { writeProbeNote(input: $input) { id title } }`;

const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : { next: nested(depth - 1) });

describe('argument rules in a real subgraph', () => {
  let sut: TestSubgraph;
  const projectId = randomUUID();
  const caller = secretKeyCaller(projectId);

  beforeAll(async () => {
    sut = await startTestSubgraph(() => import('./probe/probe.module.js').then((m) => m.ProbeModule), { service: 'probe' });
  });
  afterAll(() => sut?.close());

  const notesWritten = async () => {
    const result = await sut.query<{ probeNotes: unknown[] }>(`{ probeNotes { id } }`, {}, caller);
    expect(result.errors).toBeUndefined();
    return result.data!.probeNotes.length;
  };

  it('stores well-formed values at the edges of every rule', async () => {
    const input = { title: 'Zoë 👩‍💻 \t\u0001', properties: { deep: nested(63) }, dueAt: '9999-12-31T23:59:59.999Z' };
    const written = await sut.query<{ writeProbeNote: { title: string } }>(WRITE, { input }, caller);
    expect(written.errors).toBeUndefined();
    expect(written.data!.writeProbeNote.title).toBe(input.title);
  });

  it.each([
    ['a NUL in a string', { title: 'a\u0000b' }, 'input.title', 'NUL_CHARACTER'],
    ['a lone surrogate in a string', { title: 'a\ud800b' }, 'input.title', 'UNPAIRED_SURROGATE'],
    ['a lone surrogate in a JSON key', { title: 't', properties: { ['\udfff']: 1 } }, 'input.properties', 'UNPAIRED_SURROGATE'],
    ['a lone surrogate in a JSON value', { title: 't', properties: { a: ['\ud800'] } }, 'input.properties.a.0', 'UNPAIRED_SURROGATE'],
    ['a NUL in a JSON value', { title: 't', properties: { a: '\u0000' } }, 'input.properties.a', 'NUL_CHARACTER'],
    ['JSON nested 2,000 deep', { title: 't', properties: nested(2000) }, `input.properties${'.next'.repeat(64)}`, 'JSON_TOO_DEEP'],
    ['year 0000', { title: 't', dueAt: '0000-01-01T00:00:00Z' }, 'input.dueAt', 'DATE_TIME_OUT_OF_RANGE'],
    ['year 10000', { title: 't', dueAt: '+010000-01-01T00:00:00Z' }, 'input.dueAt', 'DATE_TIME_OUT_OF_RANGE'],
    ['past what JavaScript dates hold', { title: 't', dueAt: '+275760-09-13T00:00:00.001Z' }, 'input.dueAt', 'DATE_TIME_OUT_OF_RANGE'],
  ])('refuses %s as BAD_USER_INPUT naming the field, and writes nothing', async (_case, input, field, reason) => {
    const before = await notesWritten();
    const result = await sut.query(WRITE, { input }, caller);
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason, field });
    expect(result.errors![0]!.message).toContain(`Invalid value for ${field}: `);
    expect(await notesWritten()).toBe(before);
  });

  it('refuses an out-of-range DateTime in a query argument and a literal alike', async () => {
    const variable = await sut.query(`query($before: DateTime) { probeNotes(dueBefore: $before) { id } }`, { before: '0000-06-01T00:00:00Z' }, caller);
    expect(variable.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'dueBefore' });
    const literal = await sut.query(`{ probeNotes(dueBefore: "0000-06-01T00:00:00Z") { id } }`, {}, caller);
    expect(literal.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'dueBefore' });
  });

  it('refuses a malformed id as BAD_USER_INPUT and answers a well-formed unknown one', async () => {
    const malformed = await sut.query(`query($id: ID!) { probeNote(id: $id) { id } }`, { id: 'not-a-uuid' }, caller);
    expect(malformed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'MALFORMED_ID', field: 'id' });
    const unknown = await sut.query<{ probeNote: unknown }>(`query($id: ID!) { probeNote(id: $id) { id } }`, { id: randomUUID() }, caller);
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data!.probeNote).toBeNull();
  });
});
