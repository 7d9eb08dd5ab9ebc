import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@boomerang/platform/observability';
import { LOGGER } from '@boomerang/platform/subgraph';
import type { CallRole } from '../calls/call-view.js';
import { CallState } from '../calls/call.model.js';
import { CallService } from '../calls/call.service.js';
import { CallMedia, type TransportDirection } from '../media/call-media.service.js';
import { CallUpdates } from '../presence/call-updates.js';
import type { SignallingSession } from './signalling-session.js';
import { SignallingError, SignallingErrorCode } from './signalling.errors.js';

/**
 * What the signalling channel does for one participant: call control through CallService
 * (the token's profile is always the actor), media negotiation through CallMedia (the
 * participant role comes from the call, never from the client), and the media-related
 * updates to the other participant. Also ties media to the call's life: rooms close when a
 * call ends, and a participant whose media fails fails the call.
 */
@Injectable()
export class CallSignalling implements OnModuleInit, OnModuleDestroy {
  /** Calls with an open media room, and their project (media reports failures by call id only). */
  private readonly rooms = new Map<string, string>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly calls: CallService,
    private readonly media: CallMedia,
    private readonly updates: CallUpdates,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.unsubscribe.push(
      this.updates.onTerminal((_projectId, callId) => {
        this.rooms.delete(callId);
        this.media.close(callId).catch((error: Error) => this.logger.error({ callId, err: error }, 'closing call media failed'));
      }),
      this.media.onParticipantFailed((callId, participant, reason) => {
        const projectId = this.rooms.get(callId);
        if (!projectId) return; // the room was closed because the call had already ended
        this.logger.warn({ callId, participant, reason }, 'participant media failed; failing the call');
        this.calls.fail(projectId, callId, 'MEDIA_FAILED').catch((error: Error) => this.logger.info({ callId, err: error.message }, 'call not failed on media failure'));
      }),
    );
  }

  onModuleDestroy(): void {
    for (const stop of this.unsubscribe.splice(0)) stop();
  }

  // Call control ------------------------------------------------------------------------

  async placeCall(session: SignallingSession, input: Parameters<CallService['place']>[2]) {
    const call = await this.calls.place(session.projectId, session.profileId, input);
    return this.calls.viewFor(session.projectId, call.id, session.profileId);
  }

  async answerCall(session: SignallingSession, callId: string) {
    await this.calls.answer(session.projectId, callId, session.profileId);
    return this.calls.viewFor(session.projectId, callId, session.profileId);
  }

  async declineCall(session: SignallingSession, callId: string) {
    await this.calls.decline(session.projectId, callId, session.profileId);
    return this.calls.viewFor(session.projectId, callId, session.profileId);
  }

  async hangUp(session: SignallingSession, callId: string) {
    await this.calls.hangUp(session.projectId, callId, session.profileId);
    return this.calls.viewFor(session.projectId, callId, session.profileId);
  }

  async reportClient(session: SignallingSession, callId: string, kind: string, detail?: string | null) {
    await this.calls.report(session.projectId, callId, session.profileId, { kind, ...(detail ? { detail } : {}) });
    return true;
  }

  call(session: SignallingSession, callId: string) {
    return this.calls.viewFor(session.projectId, callId, session.profileId);
  }

  async activeCall(session: SignallingSession) {
    const call = await this.calls.activeCallOf(session.projectId, session.profileId);
    return call ? this.calls.viewFor(session.projectId, call.id, session.profileId) : null;
  }

  // Media negotiation -------------------------------------------------------------------

  async joinMedia(session: SignallingSession, callId: string, direction: TransportDirection) {
    const { participant } = await this.mediaParticipant(session, callId);
    const routerRtpCapabilities = await this.media.routerRtpCapabilities(callId);
    this.rooms.set(callId, session.projectId);
    const transport = await this.media.createTransport(callId, participant, direction);
    this.logger.debug({ callId, participant, direction }, 'media joined');
    return { routerRtpCapabilities, transport };
  }

  async connectTransport(session: SignallingSession, callId: string, dtlsParameters: unknown, direction: TransportDirection) {
    const { participant } = await this.mediaParticipant(session, callId);
    await this.media.connectTransport(callId, participant, dtlsParameters as never, direction);
    return true;
  }

  async produce(session: SignallingSession, callId: string, kind: string, rtpParameters: unknown) {
    if (kind !== 'audio') {
      throw new SignallingError(SignallingErrorCode.UnsupportedMediaKind, 'Invalid value for kind: calls carry audio only ("audio")', 'kind');
    }
    const { participant, other } = await this.mediaParticipant(session, callId);
    const { producerId } = await this.media.produce(callId, participant, 'audio', rtpParameters as never);
    this.updates.publish({ kind: 'REMOTE_MEDIA', projectId: session.projectId, profileId: other, callId, producerId });
    return producerId;
  }

  async consume(session: SignallingSession, callId: string, rtpCapabilities: unknown) {
    const { participant } = await this.mediaParticipant(session, callId);
    return this.media.consume(callId, participant, rtpCapabilities as never);
  }

  async resumeConsumer(session: SignallingSession, callId: string, consumerId: string) {
    const { participant } = await this.mediaParticipant(session, callId);
    await this.media.resumeConsumer(callId, participant, consumerId);
    return true;
  }

  async setMuted(session: SignallingSession, callId: string, muted: boolean) {
    const { participant, other } = await this.mediaParticipant(session, callId);
    await this.media.setMuted(callId, participant, muted);
    this.updates.publish({ kind: 'REMOTE_MUTED', projectId: session.projectId, profileId: other, callId, muted });
    return true;
  }

  /** The session's role in the call, checked against the call's state. */
  private async mediaParticipant(session: SignallingSession, callId: string): Promise<{ participant: CallRole; other: string }> {
    const call = await this.calls.get(session.projectId, callId);
    const participant = this.calls.roleOf(call, session.profileId);
    // The caller may set up media while it rings, so audio flows as soon as the callee answers.
    if (!(call.state === CallState.ANSWERED || (call.state === CallState.RINGING && participant === 'CALLER'))) {
      throw new SignallingError(
        SignallingErrorCode.MediaNotAvailable,
        `Media is not available for a ${call.state.toUpperCase()} call${call.state === CallState.RINGING ? ' until it is answered' : ''}`,
        'callId',
      );
    }
    return { participant, other: participant === 'CALLER' ? call.calleeProfileId : call.callerProfileId };
  }
}
