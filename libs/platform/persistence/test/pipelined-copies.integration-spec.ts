import type pg from 'pg';
import type { QueryRunner } from 'typeorm';
import { createIsolatedSchema, type IsolatedSchema } from '@boomerang/platform/testing';
import { runPipelinedCopies } from '../src/index.js';

/** Three COPYs (as events' ingest transaction sends them) in one message: all or nothing, and the connection usable after a failure. */
describe('runPipelinedCopies', () => {
  let db: IsolatedSchema;
  let runner: QueryRunner;
  let client: pg.PoolClient;

  beforeAll(async () => {
    db = await createIsolatedSchema('pipelined', { entities: [], migrations: [] });
    runner = db.dataSource.createQueryRunner();
    client = (await runner.connect()) as pg.PoolClient;
    // Temporary tables: this connection's own.
    await client.query(`CREATE TEMP TABLE claim (key text PRIMARY KEY); CREATE TEMP TABLE item (note text, data jsonb); CREATE TEMP TABLE outbox (ids uuid[])`);
  });
  afterAll(async () => {
    await runner?.release();
    await db?.drop();
  });

  const counts = async () => (await client.query(`SELECT (SELECT count(*) FROM claim)::int AS claims, (SELECT count(*) FROM item)::int AS items, (SELECT count(*) FROM outbox)::int AS outbox`)).rows[0];
  const copies = (keys: string[], items: string[], outbox: string[]) => [
    { statement: 'COPY claim (key) FROM STDIN', lines: keys },
    { statement: 'COPY item (note, data) FROM STDIN', lines: items },
    { statement: 'COPY outbox (ids) FROM STDIN', lines: outbox },
  ];

  it('commits every COPY of the message together and counts each one’s rows', async () => {
    // COPY text escapes (\t, \\) and a multi-byte character (the message length counts bytes).
    const rows = await runPipelinedCopies(client, copies(['a', 'b'], ['tab\\there\t{"é":"\\\\n"}', '\\N\t[]', 'x\t{}'], ['{00000000-0000-4000-8000-000000000001}']));
    expect(rows).toEqual([2, 3, 1]);
    expect(await counts()).toEqual({ claims: 2, items: 3, outbox: 1 });
    const { rows: items } = await client.query(`SELECT note, data FROM item ORDER BY note NULLS FIRST`);
    expect(items).toEqual([{ note: null, data: [] }, { note: 'tab\there', data: { é: '\n' } }, { note: 'x', data: {} }]);
  });

  it('rolls the whole message back when one COPY fails, names the constraint, and leaves the connection usable', async () => {
    // 'a' was claimed before: the first COPY fails; the data queued behind it is dropped by PostgreSQL.
    const failed = runPipelinedCopies(client, copies(['c', 'a'], ['y\t{}'], ['{}']));
    await expect(failed).rejects.toMatchObject({ code: '23505', constraint: 'claim_pkey' });
    expect(await counts()).toEqual({ claims: 2, items: 3, outbox: 1 });

    // A later COPY failing undoes the earlier ones too.
    await expect(runPipelinedCopies(client, copies(['d'], ['z\tnot json'], ['{}']))).rejects.toMatchObject({ code: '22P02' });
    expect(await counts()).toEqual({ claims: 2, items: 3, outbox: 1 });

    expect(await runPipelinedCopies(client, copies(['d'], ['z\t{}'], []))).toEqual([1, 1, 0]);
    expect(await counts()).toEqual({ claims: 3, items: 4, outbox: 1 });
  });

  it('joins a transaction already open on the connection instead of committing on its own', async () => {
    await client.query('BEGIN');
    await runPipelinedCopies(client, copies(['e'], ['w\t{}'], []));
    await client.query('ROLLBACK');
    expect(await counts()).toEqual({ claims: 3, items: 4, outbox: 1 });
  });
});
