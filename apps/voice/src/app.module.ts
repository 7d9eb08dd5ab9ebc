import { Module } from '@nestjs/common';
import { MessagingTables1763900000000, OutboxBatches1763900009000 } from '@boomerang/platform/messaging';
import { CreateKnownProfiles1763900002000, SubgraphModule } from '@boomerang/platform/subgraph';
import { CallClientReportEntity } from './calls/call-client-report.entity.js';
import { CallParticipantEntity } from './calls/call-participant.entity.js';
import { CallStateChangeEntity } from './calls/call-state-change.entity.js';
import { CallEntity } from './calls/call.entity.js';
import { CallsModule } from './calls/calls.module.js';
import { ProfileExportReference } from './calls/profile-export.model.js';
import { MediaModule } from './media/media.module.js';
import { CreateCalls1763900000800 } from './migrations/1763900000800-create-calls.js';
import { CallModel1763900000900 } from './migrations/1763900000900-call-model.js';
import { PresenceModule } from './presence/presence.module.js';
import { SignallingModule } from './signalling/signalling.module.js';
import { TokensModule } from './tokens/tokens.module.js';
import { VoiceConfigModule } from './voice-config.js';

export const VOICE_ENTITIES = [CallEntity, CallStateChangeEntity, CallParticipantEntity, CallClientReportEntity];
export const VOICE_MIGRATIONS = [MessagingTables1763900000000, OutboxBatches1763900009000, CreateCalls1763900000800, CallModel1763900000900, CreateKnownProfiles1763900002000];

@Module({
  imports: [
    SubgraphModule.forRoot({
      service: 'voice',
      defaultPort: 4108,
      entities: VOICE_ENTITIES,
      migrations: VOICE_MIGRATIONS,
      orphanedTypes: [ProfileExportReference],
      ownsStream: 'voice',
    }),
    VoiceConfigModule,
    PresenceModule,
    TokensModule,
    CallsModule,
    MediaModule,
    SignallingModule,
  ],
})
export class AppModule {}
