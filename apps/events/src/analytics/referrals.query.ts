import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { PropertyConditionSchema } from '@boomerang/audience';
import { AnalyticsFilters, type AnalyticsFilter } from './analytics-filter.js';
import { AnalyticsSettingsStore } from './analytics-settings.js';
import { AnalyticsError, AnalyticsErrorCode } from './analytics.errors.js';
import { retentionGrid } from './retention.js';

export type ReferrerSource = 'EVENT' | 'PROFILE';

export interface ReferralsQuestion {
  /** The install: first time of this event (default: the first event of any name), on local days [from, to). */
  installEvent?: string | null;
  from: string;
  to: string;
  /** Where the referrer is read: the install event's property (EVENT, default) or the profile's (PROFILE). */
  referrerSource?: ReferrerSource | null;
  referrerProperty?: string | null;
  /** Revenue of the referred in their first `revenueDays` days (default: all since the install). */
  revenueDays?: number | null;
  limit?: number | null;
  filter?: AnalyticsFilter | null;
}

export interface ReferrerAnswer {
  /** The property's value: the referrer's user id (or code). */
  referrer: string;
  /** The referrer's profile, when the value is a user id events knows. */
  referrerProfileId: string | null;
  installs: number;
  /** Referred profiles who paid. */
  payers: number;
  revenue: number;
}

export interface ReferralsAnswer {
  timeZone: string;
  installs: number;
  referredInstalls: number;
  referredPayers: number;
  referredRevenue: number;
  referrers: number;
  /** Per referrer, most installs first. */
  top: ReferrerAnswer[];
}

interface Row {
  referrer: string;
  referrer_profile_id: string | null;
  installs: number;
  payers: number;
  revenue: string;
}

/**
 * Referrals (the seed's MPL programme): installs in a period carrying a `referrer` (the install
 * event's property, or the profile's), grouped by referrer with the referred profiles' revenue
 * (the rollups' `profile_day.revenue` from their install day on). The referrer value is matched
 * to a profile through the links events keeps (`user_id`).
 */
@Injectable()
export class ReferralsQuery {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: AnalyticsSettingsStore,
    private readonly filters: AnalyticsFilters,
  ) {}

  async referrals(projectId: string, question: ReferralsQuestion): Promise<ReferralsAnswer> {
    const settings = await this.settings.get(this.dataSource.manager, projectId);
    const grid = retentionGrid({ interval: 'DAY', intervals: 1, from: question.from, to: question.to, startEvent: question.installEvent }, settings.timeZone);
    const { property, revenueDays, limit } = checkReferrals(question);
    const params: unknown[] = [projectId, grid.from.toISODate(), grid.to.toISODate(), revenueDays, limit];
    const breakdown = question.referrerSource === 'PROFILE' ? { profileProperty: property } : { eventProperty: property };
    const scope = await this.filters.scope(projectId, settings, question.filter, breakdown, params);
    const revenue = scope.activity(null, { from: grid.from.toISODate()! });
    const [{ answer }] = (await this.dataSource.query(
      `WITH installed AS MATERIALIZED (
         SELECT f.profile_id, f.first_day, ${scope.groupOf('f.profile_id', 'f.value')} AS referrer
         FROM ${scope.firsts(question.installEvent ?? null)} f
         WHERE f.first_day >= $2::date AND f.first_day < $3::date AND ${scope.profileIn('f.profile_id')}
       ), referred AS (
         SELECT i.profile_id, i.referrer, COALESCE((
           SELECT sum(a.revenue) FROM ${revenue} a
           WHERE a.profile_id = i.profile_id AND a.day >= i.first_day AND ($4::int IS NULL OR a.day < i.first_day + $4::int)), 0) AS revenue
         FROM installed i WHERE i.referrer IS NOT NULL AND i.referrer <> ''
       ), per_referrer AS (
         SELECT referrer, count(*)::int AS installs, count(*) FILTER (WHERE revenue <> 0)::int AS payers, sum(revenue) AS revenue FROM referred GROUP BY referrer
       )
       SELECT json_build_object(
         'installs', (SELECT count(*)::int FROM installed),
         'referred', (SELECT json_build_object('installs', count(*)::int, 'payers', count(*) FILTER (WHERE revenue <> 0)::int, 'revenue', COALESCE(sum(revenue), 0)::text, 'referrers', count(DISTINCT referrer)::int) FROM referred),
         'top', COALESCE((SELECT json_agg(t) FROM (
           SELECT p.referrer, l.profile_id AS referrer_profile_id, p.installs, p.payers, p.revenue::text AS revenue
           FROM per_referrer p LEFT JOIN profile_link l ON l.project_id = $1 AND l.kind = 'user_id' AND l.value = p.referrer
           ORDER BY p.installs DESC, p.revenue DESC, p.referrer LIMIT $5::int) t), '[]')
       ) AS answer`,
      params,
    )) as [{ answer: { installs: number; referred: { installs: number; payers: number; revenue: string; referrers: number }; top: Row[] } }];
    return {
      timeZone: settings.timeZone,
      installs: answer.installs,
      referredInstalls: answer.referred.installs,
      referredPayers: answer.referred.payers,
      referredRevenue: Number(answer.referred.revenue),
      referrers: answer.referred.referrers,
      top: answer.top.map((row) => ({
        referrer: row.referrer,
        referrerProfileId: row.referrer_profile_id,
        installs: row.installs,
        payers: row.payers,
        revenue: Number(row.revenue),
      })),
    };
  }
}

function checkReferrals(question: ReferralsQuestion): { property: string; revenueDays: number | null; limit: number } {
  const invalid = (field: string, rule: string) => new AnalyticsError(AnalyticsErrorCode.InvalidQuestion, `input.${field}: ${rule}`, `input.${field}`);
  const property = question.referrerProperty ?? 'referrer';
  if (!PropertyConditionSchema.shape.property.safeParse(property).success) throw invalid('referrerProperty', 'must be a property name or a dot path of names (a.b.c), 1 to 200 characters');
  const revenueDays = question.revenueDays ?? null;
  if (revenueDays !== null && (!Number.isInteger(revenueDays) || revenueDays < 1 || revenueDays > 3660)) throw invalid('revenueDays', 'must be a whole number of days from 1 to 3660');
  const limit = question.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw invalid('limit', 'must be a whole number from 1 to 500');
  return { property, revenueDays, limit };
}
