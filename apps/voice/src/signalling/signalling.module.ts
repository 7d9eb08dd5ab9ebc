import { Module } from '@nestjs/common';
import { CallsModule } from '../calls/calls.module.js';
import { MediaModule } from '../media/media.module.js';
import { PresenceModule } from '../presence/presence.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { CallClientController } from './call-client.controller.js';
import { CallSignalling } from './call-signalling.service.js';
import { SignallingServer } from './signalling.server.js';
import { SignallingUpdates } from './signalling-updates.js';
import { VanishedClients } from './vanished-clients.js';

/** The call signalling WebSocket (`/calls/signal`) and the reference web client (`/calls/client/`). */
@Module({
  imports: [PresenceModule, TokensModule, CallsModule, MediaModule],
  providers: [
    CallSignalling,
    SignallingUpdates,
    VanishedClients,
    SignallingServer,
  ],
  controllers: [CallClientController],
})
export class SignallingModule {}
