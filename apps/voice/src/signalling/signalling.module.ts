import { Module } from '@nestjs/common';
import { CallsModule } from '../calls/calls.module.js';
import { MediaModule } from '../media/media.module.js';
import { PresenceModule } from '../presence/presence.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { CallSignalling } from './call-signalling.service.js';
import { CallWebClient } from './call-web-client.js';
import { SignallingServer } from './signalling.server.js';
import { SignallingUpdates } from './signalling-updates.js';
import { VanishedClients } from './vanished-clients.js';
import { VoicePublicServer } from './voice-public.server.js';

/** The call signalling WebSocket (`/calls/signal`) and the reference web client (`/calls/client/`), on voice's public port. */
@Module({
  imports: [PresenceModule, TokensModule, CallsModule, MediaModule],
  providers: [
    CallSignalling,
    SignallingUpdates,
    VanishedClients,
    SignallingServer,
    CallWebClient,
    VoicePublicServer,
  ],
})
export class SignallingModule {}
