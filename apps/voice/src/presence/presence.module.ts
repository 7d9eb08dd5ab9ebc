import { Module } from '@nestjs/common';
import { CallUpdates } from './call-updates.js';
import { ConnectedClients } from './connected-clients.js';

/** Connected signalling clients and the in-process update bus, shared by calls, signalling and media. */
@Module({ providers: [ConnectedClients, CallUpdates], exports: [ConnectedClients, CallUpdates] })
export class PresenceModule {}
