import { Module } from '@nestjs/common';
import { CallMedia } from './call-media.service.js';
import { MediaWorkerPool } from './media-worker-pool.js';

/** Call media on mediasoup. Needs VOICE_CONFIG (VoiceConfigModule) and LOGGER (SubgraphModule); workers close on shutdown. */
@Module({
  providers: [MediaWorkerPool, CallMedia],
  exports: [CallMedia, MediaWorkerPool],
})
export class MediaModule {}
