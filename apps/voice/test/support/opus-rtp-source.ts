/**
 * A synthetic Opus stream for Node test peers: 20 ms packets (50/s) whose Opus TOC byte says
 * "CELT fullband, 20 ms, stereo, one frame", followed by 79 bytes of frame data (80-byte payload,
 * 32 kbit/s, a typical voice bitrate). Any byte string is a decodable CELT frame, so a decoder
 * would play noise; the SFU only needs well-formed Opus RTP. No encoder is installed here.
 */
import { randomFillSync } from 'node:crypto';

export const OPUS_FRAME_MS = 20;
export const OPUS_PAYLOAD_BYTES = 80;
const OPUS_TOC_CELT_FB_20MS_STEREO = 0xfc;
const SAMPLES_PER_FRAME = (48000 * OPUS_FRAME_MS) / 1000;

export interface RtpPacketOut {
  payloadType: number;
  ssrc: number;
  sequenceNumber: number;
  timestamp: number;
  payload: Buffer;
}

export class OpusRtpSource {
  packetsSent = 0;
  bytesSent = 0;
  private sequenceNumber = Math.floor(Math.random() * 0xffff);
  private timestamp = Math.floor(Math.random() * 0xffffffff);
  private startedAtMs?: number;
  private framesDue = 0;
  private readonly noise = Buffer.alloc(OPUS_PAYLOAD_BYTES * 64);

  constructor(
    private readonly payloadType: number,
    private readonly ssrc: number,
    /** Returns false when the packet could not leave (not counted as sent). */
    private readonly write: (packet: RtpPacketOut) => boolean,
  ) {
    randomFillSync(this.noise);
  }

  get running(): boolean {
    return this.startedAtMs !== undefined;
  }

  start(): void {
    if (this.running) return;
    this.startedAtMs = performance.now();
    this.framesDue = 0;
    OpusTicker.shared.add(this);
  }

  stop(): void {
    this.startedAtMs = undefined;
    OpusTicker.shared.remove(this);
  }

  /** Sends every frame due by now, so a late timer still yields 50 packets per second. */
  tick(nowMs: number): void {
    if (this.startedAtMs === undefined) return;
    const due = Math.floor((nowMs - this.startedAtMs) / OPUS_FRAME_MS) + 1;
    while (this.framesDue < due) {
      this.framesDue += 1;
      const payload = Buffer.allocUnsafe(OPUS_PAYLOAD_BYTES);
      const offset = ((this.packetsSent * 7) % 64) * OPUS_PAYLOAD_BYTES;
      this.noise.copy(payload, 0, offset, Math.min(offset + OPUS_PAYLOAD_BYTES, this.noise.length));
      payload[0] = OPUS_TOC_CELT_FB_20MS_STEREO;
      const sent = this.write({ payloadType: this.payloadType, ssrc: this.ssrc, sequenceNumber: this.sequenceNumber, timestamp: this.timestamp, payload });
      this.timestamp = (this.timestamp + SAMPLES_PER_FRAME) >>> 0;
      if (!sent) continue;
      this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
      this.packetsSent += 1;
      this.bytesSent += payload.length;
    }
  }
}

/** One timer for every source in the process (hundreds of peers in the capacity bench). */
class OpusTicker {
  static readonly shared = new OpusTicker();
  private readonly sources = new Set<OpusRtpSource>();
  private timer?: NodeJS.Timeout;

  add(source: OpusRtpSource): void {
    this.sources.add(source);
    this.timer ??= setInterval(() => {
      const now = performance.now();
      for (const each of this.sources) each.tick(now);
    }, OPUS_FRAME_MS);
  }

  remove(source: OpusRtpSource): void {
    this.sources.delete(source);
    if (this.sources.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

/** Counts received RTP and, from sequence numbers, how many packets never arrived. */
export class RtpReceiveCounter {
  packetsReceived = 0;
  bytesReceived = 0;
  private firstExtendedSeq?: number;
  private highestExtendedSeq = 0;
  private cycles = 0;
  private lastSeq?: number;

  record(sequenceNumber: number, payloadBytes: number): void {
    this.packetsReceived += 1;
    this.bytesReceived += payloadBytes;
    if (this.lastSeq !== undefined && sequenceNumber < 0x1000 && this.lastSeq > 0xf000) this.cycles += 0x10000;
    this.lastSeq = sequenceNumber;
    const extended = this.cycles + sequenceNumber;
    this.firstExtendedSeq ??= extended;
    this.highestExtendedSeq = Math.max(this.highestExtendedSeq, extended);
  }

  /** Packets expected from the sequence numbers seen so far. */
  get packetsExpected(): number {
    return this.firstExtendedSeq === undefined ? 0 : this.highestExtendedSeq - this.firstExtendedSeq + 1;
  }

  get packetsLost(): number {
    return Math.max(0, this.packetsExpected - this.packetsReceived);
  }
}
