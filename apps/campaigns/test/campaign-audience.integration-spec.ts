import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { seedKnownProfiles } from '@boomerang/platform/testing';
import { CampaignAudience } from '../src/audience/campaign-audience.js';
import type { CampaignAudienceValue } from '../src/campaigns/campaign.entity.js';
import { startCampaigns, type CampaignsHarness } from './campaigns-harness.js';

interface PlanNode {
  Alias?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

/** Rows the plan's scans of the targeted table (alias `t`) returned, over all their loops. */
const targetRowsRead = (node: PlanNode): number =>
  (node.Alias === 't' ? node['Actual Rows'] * node['Actual Loops'] : 0) + (node.Plans ?? []).reduce((sum, child) => sum + targetRowsRead(child), 0);

describe('campaign audience pages', () => {
  let harness: CampaignsHarness;
  let sut: CampaignAudience;
  let db: DataSource;

  beforeAll(async () => {
    harness = await startCampaigns();
    sut = harness.sut.app.get(CampaignAudience);
    db = harness.sut.app.get(DataSource);
  });
  afterAll(() => harness?.close());

  /** Every page of the audience in order, and what each page's statement read (its plan, run with EXPLAIN ANALYZE beside it). */
  const walk = async (projectId: string, audience: CampaignAudienceValue, limit: number) => {
    const profiles: string[] = [];
    const reads: number[] = [];
    for (let after: string | null = null; ; ) {
      const page = await db.transaction(async (manager) => {
        const explaining = new Proxy(manager, {
          get: (target, key, receiver) =>
            key === 'query'
              ? async (sql: string, params?: unknown[]) => {
                  if (/^\s*SELECT/.test(sql)) reads.push(targetRowsRead(((await target.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params)) as [{ 'QUERY PLAN': [{ Plan: PlanNode }] }])[0]['QUERY PLAN'][0].Plan));
                  return target.query(sql, params);
                }
              : Reflect.get(target, key, receiver),
        }) as EntityManager;
        const ids = await sut.page(explaining, projectId, audience, after, limit);
        // The planner setting the page needs ends with it.
        expect(await manager.query(`SHOW enable_bitmapscan`)).toEqual([{ enable_bitmapscan: 'on' }]);
        return ids;
      });
      if (page.length === 0) return { profiles, reads };
      profiles.push(...page);
      after = page[page.length - 1]!;
    }
  };

  it("reads a fresh project's audience page by page in index order, each page reading about its own size (everyone; two segments minus one)", async () => {
    const projectId = randomUUID();
    // Never analyzed: PostgreSQL estimates the project's rows far too few, as for a project imported just now.
    const known = (await seedKnownProfiles(harness.sut, projectId, Array.from({ length: 3000 }, () => randomUUID()))).sort();
    const [first, second, excluded] = [randomUUID(), randomUUID(), randomUUID()];
    const members = (segmentId: string, profileIds: readonly string[]) =>
      db.query(
        `INSERT INTO campaign_segment_member (segment_id, profile_id, project_id, entered_at, changed_at, member) SELECT $1, p, $2, now(), now(), true FROM unnest($3::uuid[]) AS p`,
        [segmentId, projectId, profileIds],
      );
    await members(first, known.filter((_, i) => i % 3 !== 0));
    await members(second, known.filter((_, i) => i % 2 === 0));
    await members(excluded, known.filter((_, i) => i % 5 === 0));
    const limit = 200;

    const everyone = await walk(projectId, { everyone: true, include: [], exclude: [] }, limit);
    expect(everyone.profiles).toEqual(known);
    expect(Math.max(...everyone.reads)).toBeLessThanOrEqual(limit);

    const segments = await walk(projectId, { everyone: false, include: [first, second], exclude: [excluded] }, limit);
    expect(segments.profiles).toEqual(known.filter((_, i) => (i % 3 !== 0 || i % 2 === 0) && i % 5 !== 0));
    // Each included segment's next `limit` targeted members at most, and the excluded ones among them.
    expect(Math.max(...segments.reads)).toBeLessThanOrEqual(2 * limit * 1.5);
  }, 60_000);
});
