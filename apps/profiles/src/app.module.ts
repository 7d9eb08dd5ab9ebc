import { Module } from '@nestjs/common';
import { MessagingTables1763900000000, OutboxBatches1763900009000 } from '@boomerang/platform/messaging';
import { SubgraphModule, Clock } from '@boomerang/platform/subgraph';
import { IdentityResolver } from './identities/identity-resolver.js';
import { ProfileIdentityEntity } from './identities/identity.entity.js';
import { IdentityRepository } from './identities/identity.repository.js';
import { IngestEvents } from './ingestion/ingest-events.js';
import { IngestedEventsConsumer } from './ingestion/ingested-events.consumer.js';
import { MergeProfiles } from './merging/merge-profiles.js';
import { CreateProfiles1763900000200 } from './migrations/1763900000200-create-profiles.js';
import { CreateProfileIdentities1763900000300 } from './migrations/1763900000300-create-profile-identities.js';
import { AddProfileConsent1763900000400 } from './migrations/1763900000400-add-profile-consent.js';
import { CreateProfileProperties1763900000500 } from './migrations/1763900000500-create-profile-properties.js';
import { AddProfileLocale1763900000600 } from './migrations/1763900000600-add-profile-locale.js';
import { AddProfileVerifiedFields1763900000700 } from './migrations/1763900000700-add-profile-verified-fields.js';
import { ProfilePrivacyResolver } from './privacy/profile-privacy.resolver.js';
import { ProfilePrivacyService } from './privacy/profile-privacy.service.js';
import { ProfileStreamErasure } from './privacy/profile-stream-erasure.js';
import { ProfileIdsResponder } from './profiles/profile-ids.responder.js';
import { ProfileEntity } from './profiles/profile.entity.js';
import { ProfileRepository } from './profiles/profile.repository.js';
import { ProfileResolver } from './profiles/profile.resolver.js';
import { ProfileService } from './profiles/profile.service.js';
import { PropertyCatalog } from './properties/property-catalog.js';
import { ProfilePropertyResolver } from './properties/profile-property.resolver.js';

export const PROFILES_ENTITIES = [ProfileEntity, ProfileIdentityEntity];
export const PROFILES_MIGRATIONS = [
  MessagingTables1763900000000,
  OutboxBatches1763900009000,
  CreateProfiles1763900000200,
  CreateProfileIdentities1763900000300,
  AddProfileConsent1763900000400,
  CreateProfileProperties1763900000500,
  AddProfileLocale1763900000600,
  AddProfileVerifiedFields1763900000700,
];

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
  providers: [
    Clock,
    IdentityRepository,
    ProfileRepository,
    MergeProfiles,
    IdentityResolver,
    ProfileService,
    ProfileResolver,
    ProfilePrivacyService,
    ProfilePrivacyResolver,
    ProfileStreamErasure,
    IngestEvents,
    PropertyCatalog,
    ProfilePropertyResolver,
    IngestedEventsConsumer,
    ProfileIdsResponder,
  ],
})
export class AppModule {}
