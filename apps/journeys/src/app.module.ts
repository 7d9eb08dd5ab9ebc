import { Module } from '@nestjs/common';
import { MessagingTables1763900000000, OutboxBatches1763900009000 } from '@boomerang/platform/messaging';
import { SubgraphModule } from '@boomerang/platform/subgraph';
import { JourneyEntity } from './journeys/journey.entity.js';
import { JourneyResolver } from './journeys/journey.resolver.js';
import { JourneyService } from './journeys/journey.service.js';
import { CreateJourneys1763900000600 } from './migrations/1763900000600-create-journeys.js';

export const JOURNEYS_ENTITIES = [JourneyEntity];
export const JOURNEYS_MIGRATIONS = [MessagingTables1763900000000, OutboxBatches1763900009000, CreateJourneys1763900000600];

@Module({
  imports: [
    SubgraphModule.forRoot({
      service: 'journeys',
      defaultPort: 4106,
      entities: JOURNEYS_ENTITIES,
      migrations: JOURNEYS_MIGRATIONS,
      ownsStream: 'journeys',
    }),
  ],
  providers: [JourneyService, JourneyResolver],
})
export class AppModule {}
