import { Column, Entity, PrimaryColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { createIsolatedSchema, type IsolatedSchema } from '@boomerang/platform/testing';

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
