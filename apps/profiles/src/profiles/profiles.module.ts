import { Module } from '@nestjs/common';
import { ClockModule } from '../clock.module.js';
import { IdentitiesModule } from '../identities/identities.module.js';
import { PropertiesModule } from '../properties/properties.module.js';
import { ProfileChanges } from './profile-changes.js';
import { ProfileIdsResponder } from './profile-ids.responder.js';
import { ProfileSnapshotsResponder } from './profile-snapshots.responder.js';
import { ProfileRepository } from './profile.repository.js';
import { ProfileResolver } from './profile.resolver.js';
import { ProfileService } from './profile.service.js';

/** `profile` rows (ProfileRepository), the Profile API, ProfileChanged (ProfileChanges) and the ListProfileIds and ListProfileSnapshots pages. */
@Module({
  imports: [ClockModule, IdentitiesModule, PropertiesModule],
  providers: [ProfileRepository, ProfileChanges, ProfileService, ProfileResolver, ProfileIdsResponder, ProfileSnapshotsResponder],
  exports: [ProfileRepository, ProfileChanges, ProfileService],
})
export class ProfilesModule {}
