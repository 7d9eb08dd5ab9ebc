/**
 * Two werift peers (the same WebRTC stack NodeCallPeer runs on) talking to each other directly
 * over loopback, without an SFU: the baseline the call-capacity benchmark compares against.
 * Each side sends the same synthetic Opus stream and counts what it receives.
 */
import mscNode from 'msc-node';
import { OpusRtpSource, RtpReceiveCounter } from './opus-rtp-source.js';

const { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket, useSdesMid } = mscNode;

type PeerConnection = InstanceType<typeof RTCPeerConnection>;

const OPUS_PAYLOAD_TYPE = 111;

interface DirectSide {
  pc: PeerConnection;
  track: InstanceType<typeof MediaStreamTrack>;
  source: OpusRtpSource;
  received: RtpReceiveCounter;
}

function createSide(): DirectSide {
  const pc = new RTCPeerConnection({
    iceServers: [],
    codecs: { audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: OPUS_PAYLOAD_TYPE })] },
    headerExtensions: { audio: [useSdesMid()] },
  });
  const track = new MediaStreamTrack({ kind: 'audio' });
  const source = new OpusRtpSource(OPUS_PAYLOAD_TYPE, 0, (packet) => {
    if (pc.connectionState !== 'connected') return false;
    track.writeRtp(new RtpPacket(new RtpHeader(packet), packet.payload));
    return true;
  });
  const received = new RtpReceiveCounter();
  pc.onTrack.subscribe((remote) => remote.onReceiveRtp.subscribe((rtp) => received.record(rtp.header.sequenceNumber, rtp.payload.length)));
  return { pc, track, source, received };
}

export class DirectRtpPair {
  private constructor(readonly sides: [DirectSide, DirectSide]) {}

  /** Connects two peers with one sendrecv audio transceiver each and starts both Opus streams. */
  static async connect(): Promise<DirectRtpPair> {
    const offerer = createSide();
    const answerer = createSide();
    offerer.pc.addTransceiver(offerer.track, { direction: 'sendrecv' });
    answerer.pc.onTransceiverAdded.subscribe((transceiver) => {
      void transceiver.sender.replaceTrack(answerer.track);
      transceiver.setDirection('sendrecv');
    });
    await offerer.pc.setLocalDescription(await offerer.pc.createOffer());
    await answerer.pc.setRemoteDescription(offerer.pc.localDescription!);
    await answerer.pc.setLocalDescription(await answerer.pc.createAnswer());
    await offerer.pc.setRemoteDescription(answerer.pc.localDescription!);
    await Promise.all(
      [offerer, answerer].map(
        ({ pc }) =>
          new Promise<void>((resolve, reject) => {
            if (pc.connectionState === 'connected') return resolve();
            const timer = setTimeout(() => reject(new Error('direct pair did not connect within 10 s')), 10_000);
            pc.connectionStateChange.subscribe((state) => {
              if (state === 'connected') {
                clearTimeout(timer);
                resolve();
              }
            });
          }),
      ),
    );
    offerer.source.start();
    answerer.source.start();
    return new DirectRtpPair([offerer, answerer]);
  }

  async close(): Promise<void> {
    for (const side of this.sides) side.source.stop();
    await Promise.all(this.sides.map((side) => side.pc.close()));
  }
}
