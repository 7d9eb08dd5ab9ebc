import { Module } from '@nestjs/common';
import { BackfillLeafHitsResponder } from './backfill-leaf-hits.responder.js';
import { EventLeavesScan, ScanEventLeavesResponder } from './event-leaves-scan.js';
import { LeafHitsBackfill } from './leaf-hits-backfill.use-case.js';

/**
 * Segments' reads of the raw events, streamed on core NATS: BackfillLeafHits (per-profile leaf
 * state, `LeafHitsBackfill`) and ScanEventLeaves (a new segment's members in one grouped scan, `EventLeavesScan`).
 */
@Module({
  providers: [LeafHitsBackfill, BackfillLeafHitsResponder, EventLeavesScan, ScanEventLeavesResponder],
})
export class SegmentBackfillModule {}
