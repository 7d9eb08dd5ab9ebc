import { Module } from '@nestjs/common';
import { MessagingTables1763900000000 } from '@boomerang/platform/messaging';
import { SubgraphModule, Clock } from '@boomerang/platform/subgraph';
import { CreateProfiles1763900000200 } from './migrations/1763900000200-create-profiles.js';
import { ProfileEntity } from './profiles/profile.entity.js';
import { ProfileResolver } from './profiles/profile.resolver.js';
import { ProfileService } from './profiles/profile.service.js';

export const PROFILES_ENTITIES = [ProfileEntity];
export const PROFILES_MIGRATIONS = [MessagingTables1763900000000, CreateProfiles1763900000200];

@Module({
  imports: [
    SubgraphModule.forRoot({
      service: 'profiles',
      defaultPort: 4102,
      entities: PROFILES_ENTITIES,
      migrations: PROFILES_MIGRATIONS,
      ownsStream: 'profiles',
    }),
  ],
  providers: [Clock, ProfileService, ProfileResolver],
})
export class AppModule {}
