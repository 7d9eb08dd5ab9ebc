import { Module } from '@nestjs/common';
import { MessagingTables1763900000000, OutboxBatches1763900009000 } from '@boomerang/platform/messaging';
import { SubgraphModule } from '@boomerang/platform/subgraph';
import { IdentitiesModule } from './identities/identities.module.js';
import { ProfileIdentityEntity } from './identities/identity.entity.js';
import { IngestionModule } from './ingestion/ingestion.module.js';
import { MergingModule } from './merging/merging.module.js';
import { CreateProfiles1763900000200 } from './migrations/1763900000200-create-profiles.js';
import { CreateProfileIdentities1763900000300 } from './migrations/1763900000300-create-profile-identities.js';
import { AddProfileConsent1763900000400 } from './migrations/1763900000400-add-profile-consent.js';
import { CreateProfileProperties1763900000500 } from './migrations/1763900000500-create-profile-properties.js';
import { AddProfileLocale1763900000600 } from './migrations/1763900000600-add-profile-locale.js';
import { AddProfileVerifiedFields1763900000700 } from './migrations/1763900000700-add-profile-verified-fields.js';
import { PrivacyModule } from './privacy/privacy.module.js';
import { ProfileEntity } from './profiles/profile.entity.js';
import { ProfilesModule } from './profiles/profiles.module.js';
import { PropertiesModule } from './properties/properties.module.js';

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
    IdentitiesModule,
    PropertiesModule,
    ProfilesModule,
    MergingModule,
    IngestionModule,
    PrivacyModule,
  ],
})
export class AppModule {}
