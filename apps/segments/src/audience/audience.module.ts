import { Module } from '@nestjs/common';
import { Clock, KnownProfiles } from '@boomerang/platform/subgraph';
import { LeafBackfill } from './leaf-backfill.js';
import { LeafCatalog } from './leaf-catalog.js';
import { LeafCollector } from './leaf-collector.js';
import { LeafHits } from './leaf-hits.js';
import { LeafScans } from './leaf-scan.js';
import { LeafStates } from './leaf-states.js';
import { LeafTimers } from './leaf-timers.js';
import { LiveEvents } from './live-events.js';
import { MembershipChanges } from './membership-changes.js';
import { ProfileEvaluation } from './profile-evaluation.js';
import { ProfileFacts } from './profile-facts.js';
import { ProfileLifecycle } from './profile-lifecycle.js';
import { SegmentComputation } from './segment-computation.js';

/**
 * The audience engine: leaves and their per-profile state, the live path (events, profile facts,
 * timers), batch computation and estimates. The segments feature uses it through
 * SegmentComputation, MembershipChanges, LeafCatalog and ProfileLifecycle; the RFM family through
 * LeafCatalog, LeafBackfill, MembershipChanges and SegmentComputation.
 */
@Module({
  providers: [
    Clock,
    KnownProfiles,
    LeafCatalog,
    LeafStates,
    LeafHits,
    MembershipChanges,
    ProfileEvaluation,
    LeafBackfill,
    LeafScans,
    SegmentComputation,
    LiveEvents,
    ProfileFacts,
    LeafTimers,
    LeafCollector,
    ProfileLifecycle,
  ],
  exports: [Clock, KnownProfiles, LeafCatalog, LeafBackfill, MembershipChanges, SegmentComputation, ProfileLifecycle, LeafTimers],
})
export class AudienceModule {}
