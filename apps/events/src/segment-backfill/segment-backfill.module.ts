import { Module } from '@nestjs/common';
import { BackfillLeafHitsResponder } from './backfill-leaf-hits.responder.js';
import { LeafHitsBackfill } from './leaf-hits-backfill.use-case.js';

/** Segments' backfills: BackfillLeafHits answered from the event partitions (`LeafHitsBackfill`), streamed on core NATS. */
@Module({
  providers: [LeafHitsBackfill, BackfillLeafHitsResponder],
})
export class SegmentBackfillModule {}
