/**
 * A Node WebRTC call participant for tests and benchmarks: mediasoup-client's API (msc-node, on
 * werift) with one send and one recv transport, a synthetic Opus stream out and byte/packet
 * counters in. Negotiation goes through a MediaNegotiator, so the peer does not care whether
 * it talks to CallMedia directly or over the signalling channel.
 */
import mscNode from 'msc-node';
import type { types as msc } from 'msc-node';
import type { types } from 'mediasoup';
import type { MediaNegotiator, PeerTransportDirection } from './media-negotiator.js';
import { OpusRtpSource, RtpReceiveCounter, type RtpPacketOut } from './opus-rtp-source.js';

const { Device, MediaStreamTrack, RTCRtpCodecParameters, RtpHeader, RtpPacket, useSdesMid } = mscNode;

type WeriftConnection = {
  state: string;
  stateChanged: { subscribe(listener: (state: string) => void): unknown };
  remoteIsLite: boolean;
  queryConsent(): { cancel(): void; catch(onRejected: () => void): unknown };
  close(): Promise<void>;
};
type WeriftPeerConnection = {
  iceTransports: { connection: WeriftConnection }[];
  dtlsTransports: { state: string; onStateChange: { subscribe(listener: (state: string) => void): unknown } }[];
};

const OPUS_PAYLOAD_TYPE = 111;

export interface NodeCallPeerOptions {
  /** Start the Opus stream once the send transport connects (default true). */
  send?: boolean;
}

export class NodeCallPeer {
  readonly received = new RtpReceiveCounter();
  /** The DTLS state of each transport as the peer sees it ("closed" when the server closed it). */
  readonly dtlsStates: Record<PeerTransportDirection, string> = { SEND: 'new', RECV: 'new' };
  /** The ICE state of each transport ("disconnected" once the server stops answering consent checks). */
  readonly iceStates: Record<PeerTransportDirection, string> = { SEND: 'new', RECV: 'new' };
  consumer?: msc.Consumer;
  private source?: OpusRtpSource;
  private readonly consentLoops: { cancel(): void }[] = [];
  private closed = false;

  private constructor(
    private readonly negotiator: MediaNegotiator,
    private readonly device: msc.Device,
    readonly sendTransport: msc.Transport,
    readonly recvTransport: msc.Transport,
  ) {}

  /** Joins the call's media: loads the device, opens both transports and produces the Opus stream. */
  static async join(negotiator: MediaNegotiator, options: NodeCallPeerOptions = {}): Promise<NodeCallPeer> {
    const device = new Device({
      codecs: {
        audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: OPUS_PAYLOAD_TYPE })],
      },
      headerExtensions: { audio: [useSdesMid()] },
    });
    const send = await negotiator.joinMedia('SEND');
    await device.load({ routerRtpCapabilities: send.routerRtpCapabilities as never });
    const sendTransport = device.createSendTransport({ ...(send.transport as unknown as msc.TransportOptions), iceServers: [] });
    const recv = await negotiator.joinMedia('RECV');
    const recvTransport = device.createRecvTransport({ ...(recv.transport as unknown as msc.TransportOptions), iceServers: [] });
    const peer = new NodeCallPeer(negotiator, device, sendTransport, recvTransport);
    peer.wire(sendTransport, 'SEND');
    peer.wire(recvTransport, 'RECV');
    sendTransport.on('produce', ({ kind, rtpParameters }, callback, errback) => {
      negotiator.produce(kind as 'audio', rtpParameters as types.RtpParameters).then((id) => callback({ id }), errback);
    });
    const track = new MediaStreamTrack({ kind: 'audio' });
    const producer = await sendTransport.produce({ track });
    const codec = producer.rtpParameters.codecs[0];
    const ssrc = producer.rtpParameters.encodings?.[0]?.ssrc ?? 0;
    const sender = (sendTransport.handler as unknown as { _pc: WeriftPeerConnection })._pc;
    peer.source = new OpusRtpSource(codec.payloadType, ssrc, (packet: RtpPacketOut) => {
      // werift drops RTP until DTLS is up; count only what really leaves.
      if (sender.dtlsTransports[0]?.state !== 'connected') return false;
      track.writeRtp(new RtpPacket(new RtpHeader(packet), packet.payload));
      return true;
    });
    if (options.send ?? true) peer.source.start();
    return peer;
  }

  get packetsSent(): number {
    return this.source?.packetsSent ?? 0;
  }

  get bytesSent(): number {
    return this.source?.bytesSent ?? 0;
  }

  /** Consumes the other participant's audio (resumed); false while the other side produces nothing. */
  async consumeRemote(): Promise<boolean> {
    const options = await this.negotiator.consume(this.device.rtpCapabilities as never);
    if (!options) return false;
    const consumer = await this.recvTransport.consume(options as unknown as msc.ConsumerOptions);
    consumer.track.onReceiveRtp.subscribe((rtp) => this.received.record(rtp.header.sequenceNumber, rtp.payload.length));
    this.consumer = consumer;
    await this.negotiator.resumeConsumer(consumer.id);
    return true;
  }

  /**
   * Whether the peer saw the server drop both transports: DTLS close_notify, or (the alert is a single
   * UDP datagram) consent checks no longer answered.
   */
  get lostServer(): boolean {
    return (['SEND', 'RECV'] as const).every(
      (direction) => this.dtlsStates[direction] === 'closed' || ['disconnected', 'closed', 'failed'].includes(this.iceStates[direction]),
    );
  }

  startSending(): void {
    this.source?.start();
  }

  stopSending(): void {
    this.source?.stop();
  }

  /** Leaves like an app that closes its connection without hanging up (also releases a vanished peer's resources). */
  close(): void {
    this.closed = true;
    this.stopLocal();
    if (!this.sendTransport.closed) this.sendTransport.close();
    if (!this.recvTransport.closed) this.recvTransport.close();
  }

  /** Disappears without a word (crash, lost network): no RTP, no consent checks, sockets gone. */
  async vanish(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopLocal();
    for (const transport of [this.sendTransport, this.recvTransport]) {
      for (const ice of peerConnectionOf(transport).iceTransports) await ice.connection.close();
    }
  }

  private stopLocal(): void {
    this.source?.stop();
    for (const loop of this.consentLoops.splice(0)) loop.cancel();
  }

  private wire(transport: msc.Transport, direction: PeerTransportDirection): void {
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.negotiator.connectTransport(direction, dtlsParameters as types.DtlsParameters).then(callback, errback);
    });
    const pc = peerConnectionOf(transport);
    transport.on('connectionstatechange', (state) => {
      if (state !== 'connected') return;
      // The DTLS transport exists once negotiation ran; from here on it tells us when the server closes it.
      const dtls = pc.dtlsTransports[0];
      this.dtlsStates[direction] = dtls.state;
      dtls.onStateChange.subscribe((dtlsState) => {
        this.dtlsStates[direction] = dtlsState;
      });
      for (const { connection } of pc.iceTransports) {
        this.iceStates[direction] = connection.state;
        connection.stateChanged.subscribe((iceState) => {
          this.iceStates[direction] = iceState;
        });
      }
      this.keepConsentFresh(pc);
    });
  }

  /**
   * werift 0.18 (under msc-node) skips RFC 7675 consent checks towards an ICE-lite server such as
   * mediasoup, which then declares the transport disconnected after its consent timeout; browsers
   * and werift 0.23 do send them. This restarts werift's own consent loop as for a full-ICE peer.
   */
  private keepConsentFresh(pc: WeriftPeerConnection): void {
    for (const { connection } of pc.iceTransports) {
      if (!connection.remoteIsLite || this.closed) continue;
      connection.remoteIsLite = false;
      const loop = connection.queryConsent();
      loop.catch(() => undefined);
      this.consentLoops.push(loop);
    }
  }
}

function peerConnectionOf(transport: msc.Transport): WeriftPeerConnection {
  return (transport.handler as unknown as { _pc: WeriftPeerConnection })._pc;
}
