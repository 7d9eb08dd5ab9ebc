import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { types } from 'mediasoup';
import { LOGGER, type Logger } from '@boomerang/platform/subgraph';
import { VOICE_CONFIG, type VoiceConfig } from '../voice-config.js';
import { MediaError, MediaErrorCode } from './media.errors.js';
import { MediaWorkerPool, type WorkerLoad } from './media-worker-pool.js';

export type Participant = 'CALLER' | 'CALLEE';
/**
 * Which way a transport carries media. mediasoup-client (browser and msc-node) needs one send and one
 * recv transport; a peer that bundles both directions on one RTCPeerConnection uses one SENDRECV transport (the default).
 */
export type TransportDirection = 'SEND' | 'RECV' | 'SENDRECV';
export type MediaFailureReason = 'CONNECT_TIMEOUT' | 'ICE_DISCONNECTED' | 'DTLS_FAILED' | 'DTLS_CLOSED' | 'WORKER_DIED';
export type ParticipantFailedListener = (callId: string, participant: Participant, reason: MediaFailureReason) => void;

export interface TransportOptions {
  id: string;
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
}

export interface ConsumerOptions {
  id: string;
  producerId: string;
  kind: types.MediaKind;
  rtpParameters: types.RtpParameters;
}

export interface ParticipantStats {
  participant: Participant;
  /** Bytes the SFU received from this participant (all its transports). */
  bytesReceived: number;
  /** Bytes the SFU sent to this participant. */
  bytesSent: number;
  /** Packets of this participant's audio that never reached the SFU. */
  packetsLost: number;
  /** Round-trip time to this participant in ms, from RTCP, once known. */
  rtt?: number;
}

export type MediaSettings = Pick<
  VoiceConfig,
  | 'VOICE_RTC_MIN_PORT'
  | 'VOICE_RTC_MAX_PORT'
  | 'VOICE_LISTEN_IP'
  | 'VOICE_ANNOUNCED_IP'
  | 'VOICE_ICE_CONSENT_TIMEOUT_SECONDS'
  | 'VOICE_MEDIA_DISCONNECT_GRACE_SECONDS'
  | 'VOICE_MEDIA_CONNECT_TIMEOUT_SECONDS'
>;

/** Opus, 48 kHz stereo: the one codec of a call's router. */
export const CALL_MEDIA_CODECS: types.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
];

interface ParticipantMedia {
  readonly transports: Map<TransportDirection, types.WebRtcTransport>;
  producer?: types.Producer;
  readonly consumers: Map<string, types.Consumer>;
  muted: boolean;
  failed: boolean;
  /** Per transport: running while its ICE is disconnected, reporting the participant when the grace ends. */
  readonly disconnectTimers: Map<types.WebRtcTransport, NodeJS.Timeout>;
  readonly connectTimers: Set<NodeJS.Timeout>;
}

interface Room {
  readonly callId: string;
  readonly router: types.Router;
  readonly workerPid: number;
  readonly participants: Record<Participant, ParticipantMedia>;
  closed: boolean;
}

/** How many closed call ids are remembered so a late request cannot reopen an ended call's media. */
const CLOSED_CALLS_REMEMBERED = 10_000;

const otherThan = (participant: Participant): Participant => (participant === 'CALLER' ? 'CALLEE' : 'CALLER');

const newParticipant = (): ParticipantMedia => ({
  transports: new Map(),
  consumers: new Map(),
  muted: false,
  failed: false,
  disconnectTimers: new Map(),
  connectTimers: new Set(),
});

/**
 * A call's media: one mediasoup router per call on the least-loaded worker, WebRTC transports per
 * participant, the participant's Opus producer and a consumer of the other side's. Reports a
 * participant whose ICE stays disconnected, whose DTLS fails or closes, or whose worker dies.
 */
@Injectable()
export class CallMedia implements OnApplicationShutdown {
  private readonly rooms = new Map<string, Room>();
  private readonly opening = new Map<string, Promise<Room>>();
  private readonly closedCalls = new Set<string>();
  private readonly failureListeners = new Set<ParticipantFailedListener>();

  constructor(
    private readonly pool: MediaWorkerPool,
    @Inject(VOICE_CONFIG) private readonly settings: MediaSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async routerRtpCapabilities(callId: string): Promise<types.RtpCapabilities> {
    return (await this.room(callId)).router.rtpCapabilities;
  }

  /** A WebRTC transport for the participant, replacing an earlier one of the same direction. */
  async createTransport(callId: string, participant: Participant, direction?: TransportDirection): Promise<TransportOptions> {
    const room = await this.room(callId);
    const media = room.participants[participant];
    const slot: TransportDirection = direction ?? 'SENDRECV';
    const replaced = slot === 'SENDRECV' ? [...media.transports.keys()] : [slot, 'SENDRECV' as const];
    for (const key of replaced) {
      const earlier = media.transports.get(key);
      if (!earlier) continue;
      clearTimeout(media.disconnectTimers.get(earlier));
      media.disconnectTimers.delete(earlier);
      media.transports.delete(key);
      earlier.close();
    }
    const transport = await room.router.createWebRtcTransport({
      listenInfos: (['udp', 'tcp'] as const).map((protocol) => ({
        protocol,
        ip: this.settings.VOICE_LISTEN_IP,
        ...(this.settings.VOICE_ANNOUNCED_IP ? { announcedAddress: this.settings.VOICE_ANNOUNCED_IP } : {}),
        portRange: { min: this.settings.VOICE_RTC_MIN_PORT, max: this.settings.VOICE_RTC_MAX_PORT },
      })),
      preferUdp: true,
      iceConsentTimeout: this.settings.VOICE_ICE_CONSENT_TIMEOUT_SECONDS,
      appData: { callId, participant, direction: slot },
    });
    if (room.closed) {
      transport.close();
      throw closedError(callId);
    }
    media.transports.set(slot, transport);
    this.watch(room, participant, transport);
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  async connectTransport(
    callId: string,
    participant: Participant,
    dtlsParameters: types.DtlsParameters,
    direction?: TransportDirection,
  ): Promise<void> {
    const room = this.openRoom(callId);
    const transport = this.transport(room, participant, direction ?? 'SENDRECV');
    await transport.connect({ dtlsParameters });
    this.expectConnected(room, participant, transport);
  }

  async produce(callId: string, participant: Participant, kind: 'audio', rtpParameters: types.RtpParameters): Promise<{ producerId: string }> {
    if (kind !== 'audio') throw new MediaError(MediaErrorCode.UnsupportedKind, `kind must be "audio", got "${String(kind)}"`, 'kind');
    const room = this.openRoom(callId);
    const media = room.participants[participant];
    const transport = this.transport(room, participant, 'SEND');
    media.producer?.close();
    const producer = await transport.produce({ kind, rtpParameters, paused: media.muted, appData: { callId, participant } });
    media.producer = producer;
    producer.observer.on('close', () => {
      if (media.producer === producer) media.producer = undefined;
    });
    return { producerId: producer.id };
  }

  /** A paused consumer of the other participant's audio, or null while the other side produces nothing. */
  async consume(callId: string, participant: Participant, rtpCapabilities: types.RtpCapabilities): Promise<ConsumerOptions | null> {
    const room = this.openRoom(callId);
    const producer = room.participants[otherThan(participant)].producer;
    if (!producer) return null;
    if (!room.router.canConsume({ producerId: producer.id, rtpCapabilities })) {
      throw new MediaError(MediaErrorCode.CannotConsume, 'rtpCapabilities do not include the call\'s Opus codec', 'rtpCapabilities');
    }
    const media = room.participants[participant];
    const consumer = await this.transport(room, participant, 'RECV').consume({
      producerId: producer.id,
      rtpCapabilities,
      paused: true,
      appData: { callId, participant },
    });
    media.consumers.set(consumer.id, consumer);
    consumer.observer.on('close', () => media.consumers.delete(consumer.id));
    return { id: consumer.id, producerId: producer.id, kind: consumer.kind, rtpParameters: consumer.rtpParameters };
  }

  async resumeConsumer(callId: string, participant: Participant, consumerId: string): Promise<void> {
    const consumer = this.openRoom(callId).participants[participant].consumers.get(consumerId);
    if (!consumer) throw new MediaError(MediaErrorCode.ConsumerNotFound, `no consumer ${consumerId} of ${participant} in this call`, 'consumerId');
    await consumer.resume();
  }

  /** Mute pauses the participant's producer (the SFU forwards nothing); it also applies to a later produce. */
  async setMuted(callId: string, participant: Participant, muted: boolean): Promise<void> {
    const media = this.openRoom(callId).participants[participant];
    media.muted = muted;
    if (!media.producer) return;
    if (muted) await media.producer.pause();
    else await media.producer.resume();
  }

  /** Per participant that has a transport: bytes both ways, lost packets, RTT. Empty for an unknown or closed call. */
  async stats(callId: string): Promise<ParticipantStats[]> {
    const room = this.rooms.get(callId);
    if (!room) return [];
    const result: ParticipantStats[] = [];
    for (const participant of ['CALLER', 'CALLEE'] as const) {
      const media = room.participants[participant];
      if (media.transports.size === 0) continue;
      const entry: ParticipantStats = { participant, bytesReceived: 0, bytesSent: 0, packetsLost: 0 };
      for (const transport of media.transports.values()) {
        for (const stat of await transport.getStats()) {
          entry.bytesReceived += stat.bytesReceived;
          entry.bytesSent += stat.bytesSent;
        }
      }
      for (const stat of (await media.producer?.getStats()) ?? []) {
        entry.packetsLost += stat.packetsLost;
        if (stat.roundTripTime) entry.rtt = stat.roundTripTime;
      }
      for (const consumer of media.consumers.values()) {
        for (const stat of await consumer.getStats()) {
          if (stat.type === 'outbound-rtp' && stat.roundTripTime) entry.rtt = stat.roundTripTime;
        }
      }
      result.push(entry);
    }
    return result;
  }

  /** Closes the call's router and everything on it. Idempotent; the call's media cannot be reopened. */
  async close(callId: string): Promise<void> {
    this.rememberClosed(callId);
    const room = this.rooms.get(callId) ?? (await this.opening.get(callId)?.catch(() => undefined));
    if (!room) return;
    this.discard(room);
    room.router.close();
  }

  onParticipantFailed(listener: ParticipantFailedListener): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  load(): WorkerLoad[] {
    return this.pool.load();
  }

  /** The worker a call's router runs on (undefined when the call has no open media). */
  workerPidOf(callId: string): number | undefined {
    return this.rooms.get(callId)?.workerPid;
  }

  onApplicationShutdown(): void {
    for (const room of [...this.rooms.values()]) {
      this.discard(room);
      room.router.close();
    }
  }

  private room(callId: string): Promise<Room> {
    if (this.closedCalls.has(callId)) return Promise.reject(closedError(callId));
    const open = this.rooms.get(callId);
    if (open) return Promise.resolve(open);
    let opening = this.opening.get(callId);
    if (!opening) {
      opening = this.createRoom(callId).finally(() => this.opening.delete(callId));
      this.opening.set(callId, opening);
    }
    return opening;
  }

  private async createRoom(callId: string): Promise<Room> {
    const { router, workerPid } = await this.pool.createRouter({ mediaCodecs: CALL_MEDIA_CODECS, appData: { callId } });
    const room: Room = {
      callId,
      router,
      workerPid,
      participants: { CALLER: newParticipant(), CALLEE: newParticipant() },
      closed: false,
    };
    if (this.closedCalls.has(callId)) {
      router.close();
      throw closedError(callId);
    }
    this.rooms.set(callId, room);
    router.on('workerclose', () => {
      if (room.closed) return;
      this.logger.warn({ callId, workerPid }, 'call media lost with its worker');
      const joined = (['CALLER', 'CALLEE'] as const).filter((participant) => room.participants[participant].transports.size > 0);
      this.discard(room);
      for (const participant of joined) this.report(room, participant, 'WORKER_DIED');
    });
    return room;
  }

  /** The open room of a call for operations that need a transport already created. */
  private openRoom(callId: string): Room {
    const room = this.rooms.get(callId);
    if (room) return room;
    if (this.closedCalls.has(callId)) throw closedError(callId);
    throw new MediaError(MediaErrorCode.TransportNotFound, `call ${callId} has no media transport yet`, 'callId');
  }

  private transport(room: Room, participant: Participant, wanted: TransportDirection): types.WebRtcTransport {
    const transports = room.participants[participant].transports;
    const transport = transports.get(wanted) ?? transports.get('SENDRECV');
    if (!transport) {
      throw new MediaError(MediaErrorCode.TransportNotFound, `${participant} has no ${wanted.toLowerCase()} transport in call ${room.callId}`, 'direction');
    }
    return transport;
  }

  private watch(room: Room, participant: Participant, transport: types.WebRtcTransport): void {
    const media = room.participants[participant];
    const current = () => !room.closed && [...media.transports.values()].includes(transport);
    transport.on('icestatechange', (state) => {
      if (!current()) return;
      if (state === 'disconnected' && !media.disconnectTimers.has(transport)) {
        const timer = setTimeout(() => {
          media.disconnectTimers.delete(transport);
          if (current() && transport.iceState === 'disconnected') this.report(room, participant, 'ICE_DISCONNECTED');
        }, this.settings.VOICE_MEDIA_DISCONNECT_GRACE_SECONDS * 1000);
        media.disconnectTimers.set(transport, timer);
      } else if (state === 'connected' || state === 'completed') {
        clearTimeout(media.disconnectTimers.get(transport));
        media.disconnectTimers.delete(transport);
      }
    });
    transport.on('dtlsstatechange', (state) => {
      if (!current()) return;
      if (state === 'failed') this.report(room, participant, 'DTLS_FAILED');
      if (state === 'closed') this.report(room, participant, 'DTLS_CLOSED');
    });
  }

  /** The client asked to connect: ICE and DTLS must complete within the connect timeout, or media could not be established. */
  private expectConnected(room: Room, participant: Participant, transport: types.WebRtcTransport): void {
    const media = room.participants[participant];
    const timer = setTimeout(() => {
      media.connectTimers.delete(timer);
      const current = !room.closed && !transport.closed && [...media.transports.values()].includes(transport);
      if (current && transport.dtlsState !== 'connected') this.report(room, participant, 'CONNECT_TIMEOUT');
    }, this.settings.VOICE_MEDIA_CONNECT_TIMEOUT_SECONDS * 1000);
    media.connectTimers.add(timer);
  }

  private report(room: Room, participant: Participant, reason: MediaFailureReason): void {
    const media = room.participants[participant];
    if (media.failed) return;
    media.failed = true;
    this.logger.warn({ callId: room.callId, participant, reason }, 'call participant media failed');
    for (const listener of this.failureListeners) {
      try {
        listener(room.callId, participant, reason);
      } catch (error) {
        this.logger.error({ err: error, callId: room.callId }, 'participant-failed listener threw');
      }
    }
  }

  private discard(room: Room): void {
    room.closed = true;
    if (this.rooms.get(room.callId) === room) this.rooms.delete(room.callId);
    for (const media of Object.values(room.participants)) {
      for (const timer of media.disconnectTimers.values()) clearTimeout(timer);
      media.disconnectTimers.clear();
      for (const timer of media.connectTimers) clearTimeout(timer);
      media.connectTimers.clear();
    }
  }

  private rememberClosed(callId: string): void {
    this.closedCalls.delete(callId);
    this.closedCalls.add(callId);
    if (this.closedCalls.size > CLOSED_CALLS_REMEMBERED) {
      this.closedCalls.delete(this.closedCalls.values().next().value as string);
    }
  }
}

const closedError = (callId: string) => new MediaError(MediaErrorCode.MediaClosed, `the media of call ${callId} is closed`, 'callId');
