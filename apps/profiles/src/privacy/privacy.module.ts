import { Module } from '@nestjs/common';
import { ClockModule } from '../clock.module.js';
import { IdentitiesModule } from '../identities/identities.module.js';
import { ProfilesModule } from '../profiles/profiles.module.js';
import { ProfilePrivacyResolver } from './profile-privacy.resolver.js';
import { ProfilePrivacyService } from './profile-privacy.service.js';
import { ProfileStreamErasure } from './profile-stream-erasure.js';

/** GDPR: export and erasure of a profile, and the erasure of its messages from the PROFILES stream. */
@Module({
  imports: [ClockModule, IdentitiesModule, ProfilesModule],
  providers: [ProfilePrivacyService, ProfilePrivacyResolver, ProfileStreamErasure],
})
export class PrivacyModule {}
