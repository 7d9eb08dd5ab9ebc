import { Module } from '@nestjs/common';
import { Args, Field, ID, InputType, Mutation, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsObject, IsOptional, MaxLength } from 'class-validator';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { MessagingTables1763900000000, OutboxBatches1763900009000 } from '@boomerang/platform/messaging';
import { JSONScalar, ProjectId, SubgraphModule } from '@boomerang/platform/subgraph';

/** A subgraph with one table holding each kind of value the argument rules cover, as an app would. */
class CreateProbeNotes1700000000000 implements MigrationInterface {
  name = 'CreateProbeNotes1700000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE probe_note (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), project_id uuid NOT NULL, title text NOT NULL, properties jsonb, due_at timestamptz)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE probe_note`);
  }
}

@InputType()
class ProbeNoteInput {
  @Field() @MaxLength(10_000) title: string;
  @Field(() => JSONScalar, { nullable: true }) @IsOptional() @IsObject() properties?: Record<string, unknown>;
  @Field({ nullable: true }) @IsOptional() dueAt?: Date;
}

@ObjectType()
class ProbeNote {
  @Field(() => ID) id: string;
  @Field() title: string;
}

@Resolver(() => ProbeNote)
class ProbeNoteResolver {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Mutation(() => ProbeNote)
  async writeProbeNote(@ProjectId() projectId: string, @Args('input') input: ProbeNoteInput): Promise<ProbeNote> {
    const [row] = (await this.dataSource.query(
      `INSERT INTO probe_note (project_id, title, properties, due_at) VALUES ($1, $2, $3, $4) RETURNING id, title`,
      [projectId, input.title, input.properties === undefined ? null : JSON.stringify(input.properties), input.dueAt ?? null],
    )) as ProbeNote[];
    return row!;
  }

  @Query(() => [ProbeNote])
  async probeNotes(@ProjectId() projectId: string, @Args('dueBefore', { nullable: true }) dueBefore?: Date): Promise<ProbeNote[]> {
    return this.dataSource.query(`SELECT id, title FROM probe_note WHERE project_id = $1 AND ($2::timestamptz IS NULL OR due_at < $2)`, [projectId, dueBefore ?? null]);
  }

  @Query(() => ProbeNote, { nullable: true })
  async probeNote(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string): Promise<ProbeNote | null> {
    const [row] = (await this.dataSource.query(`SELECT id, title FROM probe_note WHERE project_id = $1 AND id = $2`, [projectId, id])) as ProbeNote[];
    return row ?? null;
  }
}

@Module({
  imports: [SubgraphModule.forRoot({ service: 'probe', defaultPort: 0, entities: [], migrations: [MessagingTables1763900000000, OutboxBatches1763900009000, CreateProbeNotes1700000000000] })],
  providers: [ProbeNoteResolver],
})
export class ProbeModule {}
