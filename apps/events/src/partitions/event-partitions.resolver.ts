import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { AdminOnly } from '@boomerang/platform/subgraph';
import { EventPartitionManager } from './event-partition.manager.js';

@Resolver()
export class EventPartitionsResolver {
  constructor(private readonly partitions: EventPartitionManager) {}

  @AdminOnly()
  @Mutation(() => [String], {
    description:
      'Admin token only: detaches the monthly event partitions whose events are all older than `olderThan` (never the current month or the default partition) and keeps each as a table named event_archive_y<YYYY>m<MM>; their events leave every query. Returns the archive tables created; repeating it detaches nothing more.',
  })
  detachEventPartitions(@Args('olderThan', { type: () => Date }) olderThan: Date) {
    return this.partitions.detachOlderThan(olderThan);
  }
}
