import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Column, Entity, PrimaryColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { listenForNotifications } from '@boomerang/platform/persistence';
import { createIsolatedSchema, eventually, TEST_DATABASE_URL, type IsolatedSchema } from '@boomerang/platform/testing';

@Entity({ name: 'widget' })
class Widget {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'project_id' }) projectId: string;
  @Column('text') name: string;
}

class CreateWidget1700000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE widget (id uuid PRIMARY KEY, project_id uuid NOT NULL, name text NOT NULL)`);
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE widget`);
  }
}

describe('isolated schema', () => {
  let sut: IsolatedSchema;
  beforeAll(async () => {
    sut = await createIsolatedSchema('persistence', { entities: [Widget], migrations: [CreateWidget1700000000000] });
  });
  afterAll(() => sut?.drop());

  it('runs migrations in its own schema and reads and writes through entities', async () => {
    const repository = sut.dataSource.getRepository(Widget);
    await repository.insert({ id: crypto.randomUUID(), projectId: crypto.randomUUID(), name: 'w' });
    expect(await repository.count()).toBe(1);
    const tables = await sut.dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [sut.schema],
    );
    expect(tables.map((row: { table_name: string }) => row.table_name)).toEqual(['migrations', 'widget']);
  });

  it('drops the schema afterwards', async () => {
    const other = await createIsolatedSchema('persistence', { entities: [Widget], migrations: [CreateWidget1700000000000] });
    await other.drop();
    const found = await sut.dataSource.query(`SELECT 1 FROM information_schema.schemata WHERE schema_name = $1`, [other.schema]);
    expect(found).toHaveLength(0);
  });
});

describe('listenForNotifications', () => {
  it('delivers committed notifications, and listens again (reporting the loss, then onReconnect) after its connection is killed', async () => {
    const channel = `test_${randomBytes(6).toString('hex')}`;
    const applicationName = `listener-${channel}`;
    const received: string[] = [];
    const errors: Error[] = [];
    let reconnects = 0;
    const sut = await listenForNotifications({
      connectionString: TEST_DATABASE_URL,
      channel,
      applicationName,
      onNotify: (payload) => received.push(payload),
      onError: (error) => errors.push(error),
      onReconnect: () => reconnects++,
    });
    const writer = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await writer.connect();
    try {
      await writer.query(`SELECT pg_notify($1, 'first')`, [channel]);
      await eventually(() => received.includes('first'));

      // The server ends the listening connection (a restart, a failover, an idle kill).
      const killed = await writer.query(`SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = $1`, [applicationName]);
      expect(killed.rows).toEqual([{ done: true }]);
      await eventually(() => errors.length > 0 && reconnects === 1, { timeoutMs: 10_000 });
      await writer.query(`SELECT pg_notify($1, 'after')`, [channel]);
      await eventually(() => received.includes('after'));
      expect(received).toEqual(['first', 'after']);
    } finally {
      await writer.end();
      await sut.close();
    }
    // Closed: no connection left, and none opened again.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const check = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await check.connect();
    const left = await check.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`, [applicationName]);
    await check.end();
    expect(left.rows).toEqual([{ n: 0 }]);
  });
});
