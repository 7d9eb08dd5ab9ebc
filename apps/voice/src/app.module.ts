import { Module } from '@nestjs/common';
import { MessagingTables1763900000000 } from '@boomerang/platform/messaging';
import { SubgraphModule } from '@boomerang/platform/subgraph';
import { CallStateChangeEntity } from './calls/call-state-change.entity.js';
import { CallEntity } from './calls/call.entity.js';
import { CallResolver } from './calls/call.resolver.js';
import { CallService } from './calls/call.service.js';
import { CreateCalls1763900000800 } from './migrations/1763900000800-create-calls.js';

export const VOICE_ENTITIES = [CallEntity, CallStateChangeEntity];
export const VOICE_MIGRATIONS = [MessagingTables1763900000000, CreateCalls1763900000800];

@Module({
  imports: [
    SubgraphModule.forRoot({
      service: 'voice',
      defaultPort: 4108,
      entities: VOICE_ENTITIES,
      migrations: VOICE_MIGRATIONS,
      ownsStream: 'voice',
    }),
  ],
  providers: [CallService, CallResolver],
})
export class AppModule {}
