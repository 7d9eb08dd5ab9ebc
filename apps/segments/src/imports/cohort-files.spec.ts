import { gzipSync } from 'node:zlib';
import { CohortFileError } from './cohort-file-error.js';
import { cohortRows, type CohortFileOptions } from './cohort-files.js';

/** The file split into small chunks, so tokens and records cross chunk boundaries. */
async function* chunked(bytes: Buffer, size = 7): AsyncGenerator<Buffer> {
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
}

const read = async (text: string | Buffer, options: Partial<CohortFileOptions> = {}) => {
  const rows = [];
  for await (const row of cohortRows(chunked(Buffer.from(text)), { format: 'csv', identityKind: 'user_id', column: null, ...options })) rows.push(row);
  return rows;
};

describe('cohortRows: CSV', () => {
  it('reads the named column, numbering rows as a spreadsheet does, with a BOM, CRLF, quotes and blank lines', async () => {
    const sut = await read('\ufeffname,"User ID",plan\r\nAda,u-1,pro\r\n"Lovelace, Ada", u-2 ,free\r\n\r\nBob,,pro\r\nEve\r\n', { column: 'user id' });
    expect(sut).toEqual([
      { row: 2, value: 'u-1' },
      { row: 3, value: 'u-2' },
      { row: 4, value: '', problem: 'empty', detail: 'no value' },
      { row: 5, value: '', problem: 'malformed', detail: 'the row has 1 column; the value is in column 2' },
    ]);
  });

  it('finds the column for the identity kind, or takes the only one', async () => {
    expect(await read('id,E-Mail\n1,a@example.com\n', { identityKind: 'email' })).toEqual([{ row: 2, value: 'a@example.com' }]);
    expect(await read('Phone Number\n+4930123\n', { identityKind: 'phone' })).toEqual([{ row: 2, value: '+4930123' }]);
    await expect(read('a,b\n1,2\n', { identityKind: 'phone' })).rejects.toThrow('row 1: no phone column in the header ("a", "b"); name it with input.column');
    await expect(read('a,b\n1,2\n', { column: 'email' })).rejects.toThrow('row 1: column "email" is not in the header ("a", "b")');
  });

  it('gunzips a gzip body whatever it was called', async () => {
    expect(await read(gzipSync('user_id\nu-1\nu-2\n'))).toEqual([
      { row: 2, value: 'u-1' },
      { row: 3, value: 'u-2' },
    ]);
    const broken = gzipSync('user_id\nu-1\n'.repeat(100)).subarray(0, 30);
    await expect(read(broken)).rejects.toThrow(/the file is not valid gzip/);
  });

  it('fails on a file it cannot read, naming the row and column', async () => {
    await expect(read('user_id,name\nu-1,ok\nu-2,"unclosed\n')).rejects.toThrow(/^row 3, column 2: not valid CSV \(CSV_QUOTE_NOT_CLOSED/);
    await expect(read('')).rejects.toThrow(CohortFileError);
    await expect(read(`user_id\n${'x'.repeat(1_100_000)}\n`)).rejects.toThrow(/row 2.*CSV_MAX_RECORD_SIZE/);
  });
});

describe('cohortRows: Amplitude cohort download', () => {
  it('matches user_id and reports members without one by amplitude_id', async () => {
    const file = '"amplitude_id","user_id"\n"356896327775","u-1"\n"356893815359",""\n';
    expect(await read(file, { format: 'amplitude_cohort' })).toEqual([
      { row: 2, value: 'u-1' },
      { row: 3, value: '', problem: 'empty', detail: 'no user_id (amplitude_id 356893815359): Amplitude users without a user id cannot be matched' },
    ]);
    await expect(read('"amplitude_id","device_id"\n"1","d"\n', { format: 'amplitude_cohort' })).rejects.toThrow('row 1: not an Amplitude cohort file: no "user_id" column');
  });
});

describe('cohortRows: Mixpanel cohort export', () => {
  const page = (results: unknown[], pageNumber = 0) => ({ page: pageNumber, page_size: 1000, results, session_id: '1234567890-EXAMPL', status: 'ok', total: results.length });
  const profile = (id: unknown) => ({ $distinct_id: id, $properties: { $email: 'ada@example.com', $created: '2008-12-12T11:20:47', tags: [{ a: '}"]' }], nested: { $distinct_id: 'not this' } } });

  it('reads engage pages, one after another, skipping properties', async () => {
    const file = `${JSON.stringify(page([profile('u-1'), profile(4)]), null, 2)}\n${JSON.stringify(page([profile('u\\"3'), { $properties: {} }, profile(null), 'x'], 1))}\n`;
    expect(await read(file, { format: 'mixpanel_cohort' })).toEqual([
      { row: 1, value: 'u-1' },
      { row: 2, value: '4' },
      { row: 3, value: 'u\\"3' },
      { row: 4, value: '', problem: 'malformed', detail: 'a profile without $distinct_id' },
      { row: 5, value: '', problem: 'malformed', detail: 'no $distinct_id' },
      { row: 6, value: '', problem: 'malformed', detail: 'a profile list holds "x", not a profile object' },
    ]);
  });

  it('reads an array of profiles, profiles one per line, and the CSV export', async () => {
    expect(await read(JSON.stringify([profile('a'), profile('b')]), { format: 'mixpanel_cohort' })).toEqual([
      { row: 1, value: 'a' },
      { row: 2, value: 'b' },
    ]);
    expect(await read(`${JSON.stringify(profile('a'))}\n${JSON.stringify(profile(''))}\n`, { format: 'mixpanel_cohort' })).toEqual([
      { row: 1, value: 'a' },
      { row: 2, value: '', problem: 'empty', detail: 'empty $distinct_id' },
    ]);
    expect(await read('$distinct_id,$email,$name\nu-1,ada@example.com,Ada\n', { format: 'mixpanel_cohort' })).toEqual([{ row: 2, value: 'u-1' }]);
  });

  it('fails on JSON it cannot read, naming the line', async () => {
    await expect(read('{"results": [\n{"$distinct_id": "a"},\n{"$distinct_id": tru}]}', { format: 'mixpanel_cohort' })).rejects.toThrow('line 3: not valid Mixpanel JSON (unexpected "tru")');
    await expect(read('{"results": [{"$distinct_id": "a"}', { format: 'mixpanel_cohort' })).rejects.toThrow(/ends before its last object/);
    await expect(read('{"status": "ok"}', { format: 'mixpanel_cohort' })).rejects.toThrow(/neither a profile/);
    await expect(read('"x"', { format: 'mixpanel_cohort' })).rejects.toThrow(/not a Mixpanel cohort export|expected an object/);
  });
});
