/**
 * How a Node test peer negotiates its media: one participant of one call, asking the server.
 * The methods mirror the signalling mutations (joinMedia, connectTransport, produce, consume,
 * resumeConsumer, setMuted), so the same peer runs against CallMedia directly (below) or over
 * the signalling WebSocket (an implementation that sends those mutations).
 */
import type { types } from 'mediasoup';
import type { CallMedia, ConsumerOptions, Participant, TransportOptions } from '../../src/media/call-media.service.js';

export type PeerTransportDirection = 'SEND' | 'RECV';

export interface MediaNegotiator {
  joinMedia(direction: PeerTransportDirection): Promise<{ routerRtpCapabilities: types.RtpCapabilities; transport: TransportOptions }>;
  connectTransport(direction: PeerTransportDirection, dtlsParameters: types.DtlsParameters): Promise<void>;
  produce(kind: 'audio', rtpParameters: types.RtpParameters): Promise<string>;
  consume(rtpCapabilities: types.RtpCapabilities): Promise<ConsumerOptions | null>;
  resumeConsumer(consumerId: string): Promise<void>;
  setMuted(muted: boolean): Promise<void>;
}

/** Negotiates straight with an in-process CallMedia (no signalling). */
export function callMediaNegotiator(media: CallMedia, callId: string, participant: Participant): MediaNegotiator {
  return {
    async joinMedia(direction) {
      const routerRtpCapabilities = await media.routerRtpCapabilities(callId);
      return { routerRtpCapabilities, transport: await media.createTransport(callId, participant, direction) };
    },
    connectTransport: (direction, dtlsParameters) => media.connectTransport(callId, participant, dtlsParameters, direction),
    produce: async (kind, rtpParameters) => (await media.produce(callId, participant, kind, rtpParameters)).producerId,
    consume: (rtpCapabilities) => media.consume(callId, participant, rtpCapabilities),
    resumeConsumer: (consumerId) => media.resumeConsumer(callId, participant, consumerId),
    setMuted: (muted) => media.setMuted(callId, participant, muted),
  };
}
