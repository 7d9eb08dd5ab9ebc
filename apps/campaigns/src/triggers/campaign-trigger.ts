import { PropertyConditionSchema, type PropertyCondition } from '@boomerang/audience';
import { CampaignError, CampaignErrorCode } from '../campaigns/campaign.errors.js';
import type { CampaignTriggerInput, PropertyConditionInput } from './dto/campaign-trigger.input.js';

export type ReEligibility = 'once' | 'every_time' | 'per_days';

/**
 * When a triggered campaign sends to a profile: on its event (with property conditions) or on its
 * entering or leaving a segment; after `delayMinutes`; only if it has (`done`) or has not done the
 * `since` event between the trigger and then; at most once, once per `reEligibleAfterDays`, or
 * every time.
 */
export interface CampaignTriggerValue {
  event: { name: string; where: PropertyCondition[] } | null;
  segment: { segmentId: string; change: 'entered' | 'exited' } | null;
  delayMinutes: number;
  since: { event: string; where: PropertyCondition[]; done: boolean } | null;
  reEligibility: ReEligibility;
  reEligibleAfterDays: number | null;
}

const invalid = (field: string, rule: string) => new CampaignError(CampaignErrorCode.InvalidDefinition, `Invalid value for ${field}: ${rule}`, field);

/** The conditions as the audience language states them (libs/audience): its schema checks each, naming the first broken one. */
function conditionsOf(inputs: readonly PropertyConditionInput[] | null | undefined, field: string): PropertyCondition[] {
  return (inputs ?? []).map((input, index) => {
    const parsed = PropertyConditionSchema.safeParse(Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined && value !== null)));
    if (parsed.success) return parsed.data;
    const [issue] = parsed.error.issues;
    throw invalid([`${field}[${index}]`, ...(issue?.path ?? [])].join('.'), issue?.message ?? 'not a valid condition');
  });
}

/** The trigger of a campaign definition, or null; throws naming the field (`input.trigger.<path>`) and the rule. */
export function checkTrigger(input: CampaignTriggerInput | null | undefined, hasSchedule: boolean, field = 'input.trigger'): CampaignTriggerValue | null {
  if (!input) return null;
  if (hasSchedule) throw invalid('input.schedule', 'a triggered campaign sends when its trigger fires: give no schedule');
  if (Boolean(input.event) === Boolean(input.segment)) throw invalid(field, 'give exactly one of event, segment');
  const delayMinutes = input.delayMinutes ?? 0;
  if (input.since && delayMinutes < 1) throw invalid(`${field}.delayMinutes`, 'must be at least 1 when since is given (the since event is looked for until then)');
  const reEligibility = input.reEligibility ?? 'once';
  if ((reEligibility === 'per_days') !== (input.reEligibleAfterDays != null)) {
    throw invalid(`${field}.reEligibleAfterDays`, 'give it (1–365) exactly when reEligibility is PER_DAYS');
  }
  return {
    event: input.event ? { name: input.event.name, where: conditionsOf(input.event.where, `${field}.event.where`) } : null,
    segment: input.segment ? { segmentId: input.segment.segmentId, change: input.segment.change } : null,
    delayMinutes,
    since: input.since ? { event: input.since.event, where: conditionsOf(input.since.where, `${field}.since.where`), done: input.since.done } : null,
    reEligibility,
    reEligibleAfterDays: input.reEligibleAfterDays ?? null,
  };
}
