import { Inject, Injectable } from '@nestjs/common';
import { decodeProfileIds, ListSegmentMembers, MAX_SEGMENT_MEMBERS_PER_PAGE, type SegmentMembersPage } from '@boomerang/contracts';
import { conditionSql, numericValueSql, PropertyConditionSchema, propertySql, type PropertyCondition } from '@boomerang/audience';
import { callRpc, type Messaging } from '@boomerang/platform/messaging';
import { MESSAGING } from '@boomerang/platform/subgraph';
import type { AnalyticsSettings } from './analytics-settings.js';
import { AnalyticsError, AnalyticsErrorCode } from './analytics.errors.js';

/** Who and what a question counts (every part given must hold). */
export interface AnalyticsFilter {
  segmentId?: string | null;
  /** Conditions on the profile's custom properties (`analytics_profile`). */
  profile?: readonly PropertyCondition[] | null;
  /** Conditions on the properties of the events counted: such questions read raw events, not the rollups. */
  event?: readonly PropertyCondition[] | null;
}

/** One property to break an answer down by: the profile's, or the one on the event that put the profile in the question. */
export interface AnalyticsBreakdown {
  profileProperty?: string | null;
  eventProperty?: string | null;
}

/** An event and its amount property: what counts as revenue. */
export interface Revenue {
  event: string;
  property: string;
}

/** Most breakdown groups an answer lists; the smaller ones are folded into one "other" group. */
export const MAX_BREAKDOWN_GROUPS = 20;
/** Most conditions per filter part. */
const MAX_CONDITIONS = 20;

/**
 * A question's filter and breakdown, checked and compiled to SQL fragments over one parameter list
 * (`params`, whose `$1` is the project id). Rollup-backed questions stay on the rollups unless
 * event conditions are given; then `activity` and `firsts` read the raw `event` table instead.
 */
export class AnalyticsScope {
  constructor(
    readonly params: unknown[],
    private readonly timeZone: string,
    private readonly revenue: Revenue,
    private readonly members: readonly string[] | null,
    readonly filter: AnalyticsFilter,
    readonly breakdown: AnalyticsBreakdown | null,
  ) {}

  /** Event conditions were given: per-profile-per-day answers must come from the raw events. */
  get readsRawEvents(): boolean {
    return (this.filter.event?.length ?? 0) > 0;
  }

  /** A predicate: the profile in `column` is a segment member (when asked) and meets the profile conditions. */
  profileIn(column: string): string {
    const parts: string[] = [];
    if (this.members) parts.push(`${column} = ANY(${this.bind(this.members)}::uuid[])`);
    const conditions = this.filter.profile ?? [];
    if (conditions.length > 0) {
      // A profile without a snapshot has no properties: it meets what an empty object meets (e.g. NOT_EXISTS).
      const properties = `COALESCE((SELECT ap.properties FROM analytics_profile ap WHERE ap.project_id = $1 AND ap.profile_id = ${column}), '{}'::jsonb)`;
      parts.push(...conditions.map((condition) => conditionSql(condition, properties, this.params)));
    }
    return parts.length ? parts.join(' AND ') : 'true';
  }

  /** A predicate on a raw `event` row aliased `alias`: its properties meet the event conditions. */
  eventMatches(alias: string): string {
    const conditions = this.filter.event ?? [];
    return conditions.length ? conditions.map((condition) => conditionSql(condition, `${alias}.properties`, this.params)).join(' AND ') : 'true';
  }

  /** The local date of a raw event's time in the project's zone. */
  localDay(alias: string): string {
    return `(${alias}."timestamp" AT TIME ZONE ${this.bind(this.timeZone)}::text)::date`;
  }

  /**
   * Rows `(profile_id, day, events, revenue)` of the project: per profile per local day, of event
   * `name` (null: any event). `revenue` is the settings' revenue (rollups) unless `amount` names an
   * event and property to sum instead (then raw events). Bounded to local days [from, to) when given.
   */
  activity(name: string | null, options: { from?: string; to?: string; amount?: Revenue | null; extra?: readonly PropertyCondition[] } = {}): string {
    const { from, to, extra = [] } = options;
    const amount = options.amount ?? this.revenue;
    const settingsRevenue = amount.event === this.revenue.event && amount.property === this.revenue.property;
    if (!this.readsRawEvents && settingsRevenue && extra.length === 0) {
      const table = name === null ? `profile_day WHERE project_id = $1` : `profile_day_event WHERE project_id = $1 AND name = ${this.bind(name)}::text`;
      const bounds = `${from ? ` AND day >= ${this.bind(from)}::date` : ''}${to ? ` AND day < ${this.bind(to)}::date` : ''}`;
      return `(SELECT profile_id, day, events, revenue FROM ${table}${bounds})`;
    }
    const where = [
      `e.project_id = $1`,
      `e.profile_id IS NOT NULL`,
      name === null ? '' : `e.name = ${this.bind(name)}::text`,
      from ? `e."timestamp" >= (${this.bind(from)}::date::timestamp AT TIME ZONE ${this.bind(this.timeZone)}::text)` : '',
      to ? `e."timestamp" < (${this.bind(to)}::date::timestamp AT TIME ZONE ${this.bind(this.timeZone)}::text)` : '',
      this.eventMatches('e'),
      ...extra.map((condition) => conditionSql(condition, 'e.properties', this.params)),
    ].filter(Boolean);
    const revenue = `COALESCE(sum(CASE WHEN e.name = ${this.bind(amount.event)}::text THEN ${numericValueSql(amount.property, 'e.properties', this.params)} END), 0)::numeric`;
    return `(SELECT e.profile_id, ${this.localDay('e')} AS day, count(*)::int AS events, ${revenue} AS revenue
      FROM event e WHERE ${where.join(' AND ')} GROUP BY 1, 2)`;
  }

  /**
   * Rows `(profile_id, days, revenue)` of `profile_days` (each profile's active local days, sorted,
   * and the settings' revenue of each), of profiles first seen before `firstTo` and active on or
   * after `lastFrom` when given (local dates; `days[1]` is the first day, the index's expression);
   * null when the question reads raw events (event conditions) or first events' properties (an
   * event-property breakdown): then per-day rows answer.
   */
  profileDays(bounds: { firstTo?: string; lastFrom?: string } = {}): string | null {
    if (this.readsRawEvents || this.breakdown?.eventProperty) return null;
    const where = [
      'project_id = $1',
      // The same expressions as the indexes profile_days_by_first_day / _by_last_day.
      bounds.firstTo ? `days[1] < ${this.bind(bounds.firstTo)}::date` : '',
      bounds.lastFrom ? `days[cardinality(days)] >= ${this.bind(bounds.lastFrom)}::date` : '',
    ].filter(Boolean);
    return `(SELECT profile_id, days, revenue FROM profile_days WHERE ${where.join(' AND ')})`;
  }

  /**
   * Rows `(name, profile_id, day, events)`: per event name per profile per local day, from
   * `profile_day_event`, or the raw events under event conditions; bounded to local days [from, to).
   */
  namedActivity(options: { from?: string; to?: string } = {}): string {
    const { from, to } = options;
    if (!this.readsRawEvents) {
      const bounds = `${from ? ` AND day >= ${this.bind(from)}::date` : ''}${to ? ` AND day < ${this.bind(to)}::date` : ''}`;
      return `(SELECT name, profile_id, day, events FROM profile_day_event WHERE project_id = $1${bounds})`;
    }
    const where = [
      `e.project_id = $1`,
      `e.profile_id IS NOT NULL`,
      from ? `e."timestamp" >= (${this.bind(from)}::date::timestamp AT TIME ZONE ${this.bind(this.timeZone)}::text)` : '',
      to ? `e."timestamp" < (${this.bind(to)}::date::timestamp AT TIME ZONE ${this.bind(this.timeZone)}::text)` : '',
      this.eventMatches('e'),
    ].filter(Boolean);
    return `(SELECT e.name, e.profile_id, ${this.localDay('e')} AS day, count(*)::int AS events FROM event e WHERE ${where.join(' AND ')} GROUP BY 1, 2, 3)`;
  }

  /** Rows `(profile_id, first_day, value)`: each profile's first local day of event `name` (null: any), and the breakdown's event property on that first event. */
  firsts(name: string | null): string {
    const eventProperty = this.breakdown?.eventProperty;
    if (!this.readsRawEvents && !eventProperty) {
      return name === null
        ? `(SELECT profile_id, first_day, NULL::text AS value FROM profile_first_seen WHERE project_id = $1)`
        : `(SELECT profile_id, first_day, NULL::text AS value FROM profile_first_event WHERE project_id = $1 AND name = ${this.bind(name)}::text)`;
    }
    const value = eventProperty ? `${this.textOf(propertySql(eventProperty, 'e.properties', this.params))}` : 'NULL::text';
    return `(SELECT DISTINCT ON (e.profile_id) e.profile_id, ${this.localDay('e')} AS first_day, ${value} AS value
      FROM event e WHERE e.project_id = $1 AND e.profile_id IS NOT NULL${name === null ? '' : ` AND e.name = ${this.bind(name)}::text`} AND ${this.eventMatches('e')}
      ORDER BY e.profile_id, e."timestamp", e.id)`;
  }

  /**
   * The breakdown value (text, NULL when the property is missing) of a profile: its profile
   * property, or `firstValue` (the `value` column of `firsts`) for an event property; NULL::text without a breakdown.
   */
  groupOf(profileColumn: string, firstValue: string): string {
    if (this.breakdown?.profileProperty) {
      return `(SELECT ${this.textOf(propertySql(this.breakdown.profileProperty, 'ap.properties', this.params))} FROM analytics_profile ap WHERE ap.project_id = $1 AND ap.profile_id = ${profileColumn})`;
    }
    if (this.breakdown?.eventProperty) return firstValue;
    return 'NULL::text';
  }

  /** The breakdown's event property (text, NULL when missing) on a raw `event` row aliased `alias`; NULL::text without an event-property breakdown. */
  eventValue(alias: string): string {
    const property = this.breakdown?.eventProperty;
    return property ? this.textOf(propertySql(property, `${alias}.properties`, this.params)) : 'NULL::text';
  }

  /**
   * Folds the groups of `cte` (a CTE or table with a text column `g`, one row per profile, or with
   * `profiles` the SQL of a group's size when its rows are counts) beyond the MAX_BREAKDOWN_GROUPS
   * largest into one: a select of `(g, other)` per original `g` to join on.
   */
  groupRanks(cte: string, profiles = 'count(*)'): string {
    return `(SELECT g, row_number() OVER (ORDER BY ${profiles} DESC, g NULLS LAST) > ${MAX_BREAKDOWN_GROUPS} AS other FROM ${cte} GROUP BY g)`;
  }

  private textOf(jsonb: string): string {
    return `((${jsonb}) #>> '{}')`;
  }

  private bind(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}

/** Checks filters and breakdowns and reads segment members; `field` is where the filter sits in the input (`input.filter`). */
@Injectable()
export class AnalyticsFilters {
  constructor(@Inject(MESSAGING) private readonly messaging: Messaging) {}

  async scope(
    projectId: string,
    settings: AnalyticsSettings,
    filter: AnalyticsFilter | null | undefined,
    breakdown: AnalyticsBreakdown | null | undefined,
    params: unknown[],
    field = 'input',
  ): Promise<AnalyticsScope> {
    if (params[0] !== projectId) throw new Error('AnalyticsScope: params must start with the project id ($1)');
    const checked: AnalyticsFilter = {
      segmentId: filter?.segmentId ?? null,
      profile: checkConditions(filter?.profile, `${field}.filter.profile`),
      event: checkConditions(filter?.event, `${field}.filter.event`),
    };
    const checkedBreakdown = checkBreakdown(breakdown, `${field}.breakdown`);
    const members = checked.segmentId ? await this.segmentMembers(projectId, checked.segmentId, `${field}.filter.segmentId`) : null;
    return new AnalyticsScope(params, settings.timeZone, { event: settings.revenueEvent, property: settings.revenueProperty }, members, checked, checkedBreakdown);
  }

  /** The segment's current members, page by page from segments (compact ids). */
  private async segmentMembers(projectId: string, segmentId: string, field: string): Promise<string[]> {
    if (!UUID.test(segmentId)) throw new AnalyticsError(AnalyticsErrorCode.InvalidFilter, `${field}: must be a segment id (a UUID)`, field);
    const members: string[] = [];
    let after: string | null = null;
    do {
      const page: SegmentMembersPage = await callRpc(this.messaging.nc, this.messaging.subjects, ListSegmentMembers, { projectId, segmentId, after, limit: MAX_SEGMENT_MEMBERS_PER_PAGE }, 10_000);
      if (!page.ok) throw new AnalyticsError(AnalyticsErrorCode.UnknownSegment, `${field}: no segment ${segmentId} in this project`, field);
      members.push(...decodeProfileIds(page.profileIds));
      after = page.next;
    } while (after !== null);
    return members;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkConditions(conditions: readonly unknown[] | null | undefined, field: string): PropertyCondition[] {
  if (!conditions) return [];
  if (conditions.length > MAX_CONDITIONS) throw new AnalyticsError(AnalyticsErrorCode.InvalidFilter, `${field}: at most ${MAX_CONDITIONS} conditions`, field);
  return conditions.map((condition, index) => {
    const plain = Object.fromEntries(Object.entries(condition as Record<string, unknown>).filter(([, value]) => value !== undefined && value !== null));
    const parsed = PropertyConditionSchema.safeParse(plain);
    if (parsed.success) return parsed.data;
    const [issue] = parsed.error.issues;
    const path = [`${field}[${index}]`, ...issue!.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`))].join('');
    throw new AnalyticsError(AnalyticsErrorCode.InvalidFilter, `${path}: ${issue!.message}`, path);
  });
}

function checkBreakdown(breakdown: AnalyticsBreakdown | null | undefined, field: string): AnalyticsBreakdown | null {
  if (!breakdown) return null;
  const given = (['profileProperty', 'eventProperty'] as const).filter((key) => breakdown[key] != null);
  if (given.length !== 1) throw new AnalyticsError(AnalyticsErrorCode.InvalidFilter, `${field}: give exactly one of profileProperty, eventProperty`, field);
  const key = given[0]!;
  const parsed = PropertyConditionSchema.shape.property.safeParse(breakdown[key]);
  if (!parsed.success) throw new AnalyticsError(AnalyticsErrorCode.InvalidFilter, `${field}.${key}: ${parsed.error.issues[0]!.message}`, `${field}.${key}`);
  return { [key]: parsed.data };
}

/** One group of a broken-down answer: the property's value (null: profiles without it), or the smaller groups folded together. */
export interface BreakdownGroup {
  value: string | null;
  other: boolean;
  /** Profiles in the group (those the question counted, e.g. cohort members). */
  profiles: number;
}

/**
 * Splits answer rows carrying `(g, other)` (from `groupRanks`) by group, largest first; `counts`
 * says which rows count the group's profiles (e.g. cohort sizes), summed into `profiles`.
 */
export function breakdownGroups<Row extends { g: string | null; other: boolean; profiles: number }>(
  rows: readonly Row[],
  counts: (row: Row) => boolean,
): { group: BreakdownGroup; rows: Row[] }[] {
  const groups = new Map<string, { group: BreakdownGroup; rows: Row[] }>();
  for (const row of rows) {
    const key = row.other ? 'other' : row.g === null ? 'none' : `value:${row.g}`;
    let entry = groups.get(key);
    if (!entry) groups.set(key, (entry = { group: { value: row.other ? null : row.g, other: row.other, profiles: 0 }, rows: [] }));
    entry.rows.push(row);
    if (counts(row)) entry.group.profiles += row.profiles;
  }
  const order = (group: BreakdownGroup) => (group.other ? 2 : group.value === null ? 1 : 0);
  return [...groups.values()].sort(
    (a, b) => Number(a.group.other) - Number(b.group.other) || b.group.profiles - a.group.profiles || order(a.group) - order(b.group) || (a.group.value ?? '').localeCompare(b.group.value ?? ''),
  );
}
