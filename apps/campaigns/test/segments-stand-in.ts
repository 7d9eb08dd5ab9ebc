import { encodeProfileIds, ListSegmentMembers } from '@boomerang/contracts';
import { serveRpc, type Messaging } from '@boomerang/platform/messaging';
import { silentLogger } from '@boomerang/platform/testing';

/** What the stand-in holds and how it answers; tests change it between steps. */
export interface SegmentsStandIn {
  /** Current members per segment (sorted ids); a segment not here is unknown to segments. */
  readonly members: Map<string, string[]>;
  /** Every page asked for. */
  readonly pagesServed: { segmentId: string; after: string | null }[];
  /** The `asOf` of the next pages (default: now). */
  asOf: Date | null;
  /** While set, no page is answered (segments is slow or down). */
  held: Promise<void> | null;
}

/** Stands in for segments answering ListSegmentMembers (segments' own responder has its spec there). */
export function serveSegmentMembers(messaging: Pick<Messaging, 'nc' | 'subjects'>): SegmentsStandIn {
  const standIn: SegmentsStandIn = { members: new Map(), pagesServed: [], asOf: null, held: null };
  serveRpc(
    messaging.nc,
    messaging.subjects,
    ListSegmentMembers,
    async ({ segmentId, after, limit }) => {
      if (standIn.held) await standIn.held;
      standIn.pagesServed.push({ segmentId, after });
      const members = standIn.members.get(segmentId);
      if (!members) return { ok: false as const, reason: 'unknown-segment' as const };
      const rest = members.filter((id) => after === null || id > after);
      const page = rest.slice(0, limit);
      const asOf = (standIn.asOf ?? new Date()).toISOString();
      return { ok: true as const, profileIds: encodeProfileIds(page), count: page.length, next: rest.length > limit ? page[page.length - 1]! : null, asOf };
    },
    silentLogger,
  );
  return standIn;
}
