import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { v5 as nameBasedUuid } from 'uuid';
import { decodeProfileIds, ListSegmentMembers } from '@boomerang/contracts';
import { callRpc, type Messaging } from '@boomerang/platform/messaging';
import { LOGGER, MESSAGING, type Logger } from '@boomerang/platform/subgraph';
import { CampaignJobs } from '../jobs/campaign-jobs.js';
import { SegmentMembershipProjection } from './segment-membership-projection.js';

export const SEGMENT_FILL_QUEUE = 'campaign-segment-fill';

/** Members per ListSegmentMembers page (16 bytes each on the wire). */
export const SEGMENT_FILL_PAGE = 5_000;
const FILL_REPLY_TIMEOUT_MS = 10_000;
/**
 * A page counts as of this long before segments read it: a change committed just after segments
 * took `asOf` but stamped before it still reaches the projection live (replaying a change is harmless).
 */
const ASOF_MARGIN_MS = 5_000;
const JOB_ID_NAMESPACE = 'a4f0c8f1-4a51-4b0e-8d2f-2d7c3f6e9b10';

interface SegmentFillJob {
  projectId: string;
  segmentId: string;
}

/**
 * Fills the membership projection of a segment campaigns has not filled yet (one a campaign names):
 * once, page by page over ListSegmentMembers, each page with its cursor in one transaction, as a
 * durable job retried with backoff while segments does not answer. The live
 * SegmentMembershipChanged path runs meanwhile; the projection applies both in time order.
 */
@Injectable()
export class SegmentFill {
  constructor(
    private readonly dataSource: DataSource,
    private readonly projection: SegmentMembershipProjection,
    private readonly jobs: CampaignJobs,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    jobs.register<SegmentFillJob>({ name: SEGMENT_FILL_QUEUE, handle: (job) => this.execute(job) });
  }

  /** In the caller's transaction: each segment not filled (nor being filled) gets its fill job. */
  async request(manager: EntityManager, projectId: string, segmentIds: readonly string[]): Promise<void> {
    if (segmentIds.length === 0) return;
    const added = (await manager.query(
      `INSERT INTO campaign_segment_fill (project_id, segment_id) SELECT $1, id FROM unnest($2::uuid[]) AS id ON CONFLICT DO NOTHING RETURNING segment_id`,
      [projectId, [...new Set(segmentIds)]],
    )) as { segment_id: string }[];
    for (const { segment_id } of added) {
      await this.jobs.schedule(SEGMENT_FILL_QUEUE, { projectId, segmentId: segment_id }, { id: nameBasedUuid(`${projectId}:${segment_id}`, JOB_ID_NAMESPACE), manager });
    }
  }

  /** The segments among these whose fill has not completed (an occurrence waits for them). */
  async pending(manager: EntityManager, projectId: string, segmentIds: readonly string[]): Promise<string[]> {
    if (segmentIds.length === 0) return [];
    const rows = (await manager.query(`SELECT segment_id FROM campaign_segment_fill WHERE project_id = $1 AND segment_id = ANY($2::uuid[]) AND completed_at IS NULL`, [
      projectId,
      segmentIds,
    ])) as { segment_id: string }[];
    return rows.map((row) => row.segment_id);
  }

  async execute(job: SegmentFillJob): Promise<void> {
    while (!(await this.dataSource.transaction((manager) => this.page(manager, job))));
  }

  /** One page and its cursor, under the fill row's lock. True when the fill is complete. */
  private async page(manager: EntityManager, { projectId, segmentId }: SegmentFillJob): Promise<boolean> {
    const [fill] = (await manager.query(`SELECT after_profile_id, completed_at FROM campaign_segment_fill WHERE project_id = $1 AND segment_id = $2 FOR UPDATE`, [
      projectId,
      segmentId,
    ])) as { after_profile_id: string | null; completed_at: Date | null }[];
    if (!fill || fill.completed_at) return true;
    const after = fill.after_profile_id;
    const reply = await callRpc(this.messaging.nc, this.messaging.subjects, ListSegmentMembers, { projectId, segmentId, after, limit: SEGMENT_FILL_PAGE }, FILL_REPLY_TIMEOUT_MS);
    if (!reply.ok) {
      // Not a segment of this project (yet): nothing to fill; live messages bring any members it gets.
      this.logger.warn({ projectId, segmentId, reason: reply.reason }, 'segment fill: segments does not know the segment');
      await manager.query(`UPDATE campaign_segment_fill SET completed_at = now() WHERE project_id = $1 AND segment_id = $2`, [projectId, segmentId]);
      return true;
    }
    const asOf = new Date(new Date(reply.asOf).getTime() - ASOF_MARGIN_MS);
    await this.projection.applyPage(manager, projectId, segmentId, { after, next: reply.next, memberIds: decodeProfileIds(reply.profileIds), asOf });
    await manager.query(`UPDATE campaign_segment_fill SET after_profile_id = $3, completed_at = CASE WHEN $3::uuid IS NULL THEN now() END WHERE project_id = $1 AND segment_id = $2`, [
      projectId,
      segmentId,
      reply.next,
    ]);
    return reply.next === null;
  }
}
