import { Module } from '@nestjs/common';
import { ClockModule } from '../clock.module.js';
import { IdentitiesModule } from '../identities/identities.module.js';
import { PropertiesModule } from '../properties/properties.module.js';
import { ProfileIdsResponder } from './profile-ids.responder.js';
import { ProfileRepository } from './profile.repository.js';
import { ProfileResolver } from './profile.resolver.js';
import { ProfileService } from './profile.service.js';

/** `profile` rows (ProfileRepository), the Profile API and the ListProfileIds pages. */
@Module({
  imports: [ClockModule, IdentitiesModule, PropertiesModule],
  providers: [ProfileRepository, ProfileService, ProfileResolver, ProfileIdsResponder],
  exports: [ProfileRepository, ProfileService],
})
export class ProfilesModule {}
