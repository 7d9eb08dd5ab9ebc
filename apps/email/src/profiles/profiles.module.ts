import { Module } from '@nestjs/common';
import { EmailProfileSync } from './email-profile-sync.js';
import { EmailProfiles } from './email-profiles.js';

/** email's projection of profiles (consumers email-profile-changed, -deleted, -merged). */
@Module({
  providers: [EmailProfiles, EmailProfileSync],
  exports: [EmailProfiles],
})
export class ProfilesModule {}
