import { Module } from '@nestjs/common';
import { PresenceModule } from '../presence/presence.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { CallDeadlines } from './call-deadlines.js';
import { CallExport } from './call-export.js';
import { CallProfileSync } from './call-profile-sync.js';
import { CallResolver } from './call.resolver.js';
import { CallService } from './call.service.js';
import { KnownProfilesModule } from './known-profiles.module.js';
import { ProfileExportCallsResolver } from './profile-export.resolver.js';

@Module({
  imports: [PresenceModule, TokensModule, KnownProfilesModule],
  providers: [CallService, CallDeadlines, CallResolver, CallProfileSync, CallExport, ProfileExportCallsResolver],
  exports: [CallService, CallDeadlines],
})
export class CallsModule {}
