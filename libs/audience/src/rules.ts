import { z } from 'zod';
import { parseDate } from './conditions.js';

/**
 * The audience language: one typed rule tree that segments store, validate and evaluate, and
 * that events compiles to SQL when it answers a backfill. The GraphQL input of `createSegment`
 * has this exact shape, so a path in an error (`rules.and[2].event.within.days`) is a path in
 * what the client sent.
 */

/** Most children of one AND / OR, and most nodes of a whole tree (a console builds trees, not programs). */
export const MAX_CHILDREN = 50;
export const MAX_NODES = 200;
export const MAX_DEPTH = 10;
/** Most values of an `in` / `notIn` list. */
export const MAX_LIST_VALUES = 1000;
/** Longest window: 10 years in minutes (unlimited look-back is "ever": no window). */
export const MAX_WINDOW_MINUTES = 10 * 366 * 24 * 60;

export const CONDITION_OPS = [
  'eq',
  'neq',
  'contains',
  'startsWith',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'in',
  'notIn',
  'exists',
  'notExists',
] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

/** How a condition reads a value: decided by `type`, else by the value given. */
export const VALUE_TYPES = ['string', 'number', 'boolean', 'date'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

export type Scalar = string | number | boolean;

/** Text PostgreSQL can store: no NUL, no lone UTF-16 surrogate (ingestion refuses both too). */
const STORABLE_TEXT = /^(?:[^\0\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;
export const UNSTORABLE_TEXT_MESSAGE = 'must not contain NUL or lone surrogates';
const text = () => z.string().regex(STORABLE_TEXT, UNSTORABLE_TEXT_MESSAGE);

const scalar = z.union([text().max(1000), z.number().finite(), z.boolean()]);
const eventName = text().min(1).max(200);
const propertyPath = text()
  .min(1)
  .max(200)
  .regex(/^[^.]+(\.[^.]+)*$/, 'must be a property name or a dot path of names (a.b.c)');

/** A condition on one property of an event or a profile. */
export const PropertyConditionSchema = z
  .object({
    property: propertyPath,
    op: z.enum(CONDITION_OPS),
    type: z.enum(VALUE_TYPES).optional(),
    value: scalar.optional(),
    /** `between`: [low, high] (inclusive); `in` / `notIn`: the list. */
    values: z.array(scalar).max(MAX_LIST_VALUES).optional(),
  })
  .strict()
  .superRefine((condition, context) => checkOperands(condition, context));
export type PropertyCondition = z.infer<typeof PropertyConditionSchema>;

/** A span of time: exactly one unit. */
export const DurationSchema = z
  .object({
    minutes: z.number().int().positive().optional(),
    hours: z.number().int().positive().optional(),
    days: z.number().int().positive().optional(),
  })
  .strict()
  .superRefine((duration, context) => {
    const units = Object.values(duration).filter((value) => value !== undefined);
    if (units.length !== 1) context.addIssue({ code: 'custom', message: 'give exactly one of minutes, hours, days' });
    else if (durationMs(duration) > MAX_WINDOW_MINUTES * 60_000)
      context.addIssue({ code: 'custom', message: `at most ${MAX_WINDOW_MINUTES} minutes (10 years); leave the window out for "ever"` });
  });
export type Duration = z.infer<typeof DurationSchema>;

const dateTime = z.string().datetime({ offset: true });

const DateRangeSchema = z
  .object({ from: dateTime, to: dateTime })
  .strict()
  .refine((range) => Date.parse(range.from) < Date.parse(range.to), { message: 'from must be before to', path: ['to'] });

/** When the first (or last) qualifying event happened: any of these, all must hold. */
const MomentSchema = z
  .object({
    before: dateTime.optional(),
    after: dateTime.optional(),
    /** ... no longer ago than this (e.g. first done in the last 7 days: a new user). */
    inLast: DurationSchema.optional(),
    /** ... longer ago than this (e.g. last done more than 30 days ago: lapsing). */
    notInLast: DurationSchema.optional(),
  })
  .strict()
  .refine((moment) => Object.values(moment).some((value) => value !== undefined), { message: 'give at least one of before, after, inLast, notInLast' });
export type Moment = z.infer<typeof MomentSchema>;

const CountSchema = z
  .object({
    atLeast: z.number().int().min(0).optional(),
    atMost: z.number().int().min(0).optional(),
    exactly: z.number().int().min(0).optional(),
  })
  .strict()
  .superRefine((count, context) => {
    if (count.exactly !== undefined && (count.atLeast !== undefined || count.atMost !== undefined))
      context.addIssue({ code: 'custom', message: 'exactly excludes atLeast and atMost' });
    else if (count.atLeast === undefined && count.atMost === undefined && count.exactly === undefined)
      context.addIssue({ code: 'custom', message: 'give atLeast, atMost or exactly' });
    else if (count.atLeast !== undefined && count.atMost !== undefined && count.atLeast > count.atMost)
      context.addIssue({ code: 'custom', message: 'atLeast must not exceed atMost', path: ['atMost'] });
  });
export type CountRule = z.infer<typeof CountSchema>;

export const AGGREGATE_FUNCTIONS = ['sum', 'avg', 'min', 'max'] as const;
export type AggregateFunction = (typeof AGGREGATE_FUNCTIONS)[number];
const NUMBER_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between'] as const;

const AggregateSchema = z
  .object({
    fn: z.enum(AGGREGATE_FUNCTIONS),
    /** A numeric event property (numbers, or strings that are decimal numbers). */
    property: propertyPath,
    op: z.enum(NUMBER_OPS),
    value: z.number().finite().optional(),
    values: z.array(z.number().finite()).optional(),
  })
  .strict()
  .superRefine((aggregate, context) => checkOperands({ ...aggregate, type: 'number' }, context));
export type AggregateRule = z.infer<typeof AggregateSchema>;

const windowed = {
  /** A sliding window ending now; leave both out for "ever". */
  within: DurationSchema.optional(),
  /** A fixed window. */
  between: DateRangeSchema.optional(),
};

/** Did event `name` (where its properties meet every condition), how often, how much, when. */
export const EventRuleSchema = z
  .object({
    name: eventName,
    where: z.array(PropertyConditionSchema).max(20).optional(),
    ...windowed,
    /** How many qualifying events in the window; default: at least one. */
    count: CountSchema.optional(),
    aggregate: AggregateSchema.optional(),
    first: MomentSchema.optional(),
    last: MomentSchema.optional(),
  })
  .strict()
  .refine((rule) => !(rule.within && rule.between), { message: 'give within or between, not both', path: ['between'] });
export type EventRule = z.infer<typeof EventRuleSchema>;

const SequenceStepSchema = z
  .object({ name: eventName, where: z.array(PropertyConditionSchema).max(20).optional() })
  .strict();

/** Did A, then B (then ...), the whole sequence within `within` of its first step. */
export const SequenceRuleSchema = z
  .object({
    steps: z.array(SequenceStepSchema).min(2).max(5),
    within: DurationSchema,
    /** Only sequences whose first step is in this sliding window; default: ever. */
    inLast: DurationSchema.optional(),
  })
  .strict();
export type SequenceRule = z.infer<typeof SequenceRuleSchema>;

/** Built-in profile attributes (custom properties use `property`). */
export const PROFILE_ATTRIBUTES = [
  'email',
  'phone',
  'name',
  'timeZone',
  'locale',
  'createdAt',
  'emailSubscribed',
  'smsSubscribed',
  'pushSubscribed',
  'whatsappSubscribed',
  'phoneDnd',
] as const;
export type ProfileAttribute = (typeof PROFILE_ATTRIBUTES)[number];
/** Contact details are personal data: a rule may ask whether they exist, never what they are. */
export const PRESENCE_ONLY_ATTRIBUTES: readonly ProfileAttribute[] = ['email', 'phone'];
export const ATTRIBUTE_TYPES: Record<ProfileAttribute, ValueType> = {
  email: 'string',
  phone: 'string',
  name: 'string',
  timeZone: 'string',
  locale: 'string',
  createdAt: 'date',
  emailSubscribed: 'boolean',
  smsSubscribed: 'boolean',
  pushSubscribed: 'boolean',
  whatsappSubscribed: 'boolean',
  phoneDnd: 'boolean',
};

export const ProfileRuleSchema = z
  .object({
    /** A custom property (dot path), or ... */
    property: propertyPath.optional(),
    /** ... a built-in attribute. */
    attribute: z.enum(PROFILE_ATTRIBUTES).optional(),
    op: z.enum(CONDITION_OPS),
    type: z.enum(VALUE_TYPES).optional(),
    value: scalar.optional(),
    values: z.array(scalar).max(MAX_LIST_VALUES).optional(),
  })
  .strict()
  .superRefine((rule, context) => {
    if ((rule.property === undefined) === (rule.attribute === undefined)) {
      context.addIssue({ code: 'custom', message: 'give exactly one of property, attribute' });
      return;
    }
    if (rule.attribute && PRESENCE_ONLY_ATTRIBUTES.includes(rule.attribute) && rule.op !== 'exists' && rule.op !== 'notExists') {
      context.addIssue({ code: 'custom', message: `${rule.attribute} allows exists and notExists only (contact details are not matched by value)`, path: ['op'] });
      return;
    }
    const type = rule.attribute ? ATTRIBUTE_TYPES[rule.attribute] : rule.type;
    if (rule.attribute && rule.type && rule.type !== type) context.addIssue({ code: 'custom', message: `${rule.attribute} is a ${type}`, path: ['type'] });
    checkOperands({ ...rule, type }, context);
  });
export type ProfileRule = z.infer<typeof ProfileRuleSchema>;

export const MembershipRuleSchema = z
  .object({ segmentId: z.string().uuid(), member: z.boolean().default(true) })
  .strict();
export type MembershipRule = z.infer<typeof MembershipRuleSchema>;

export type Rule =
  | { and: Rule[] }
  | { or: Rule[] }
  | { not: Rule }
  | { event: EventRule }
  | { sequence: SequenceRule }
  | { profile: ProfileRule }
  | { segment: MembershipRule };

export const RULE_KINDS = ['and', 'or', 'not', 'event', 'sequence', 'profile', 'segment'] as const;

export const RuleSchema: z.ZodType<Rule> = z.lazy(() =>
  z.union([
    z.object({ and: z.array(RuleSchema).min(1).max(MAX_CHILDREN) }).strict(),
    z.object({ or: z.array(RuleSchema).min(1).max(MAX_CHILDREN) }).strict(),
    z.object({ not: RuleSchema }).strict(),
    z.object({ event: EventRuleSchema }).strict(),
    z.object({ sequence: SequenceRuleSchema }).strict(),
    z.object({ profile: ProfileRuleSchema }).strict(),
    z.object({ segment: MembershipRuleSchema }).strict(),
  ]),
) as z.ZodType<Rule>;

export function durationMs(duration: Duration): number {
  return ((duration.days ?? 0) * 1440 + (duration.hours ?? 0) * 60 + (duration.minutes ?? 0)) * 60_000;
}

/** The type a condition compares as: its `type`, else its operand's, else string. */
export function conditionType(condition: { type?: ValueType; value?: Scalar; values?: Scalar[] }): ValueType {
  if (condition.type) return condition.type;
  const sample = condition.value ?? condition.values?.[0];
  if (typeof sample === 'number') return 'number';
  if (typeof sample === 'boolean') return 'boolean';
  return 'string';
}

const ORDERED_OPS: readonly ConditionOp[] = ['gt', 'gte', 'lt', 'lte', 'between'];

function checkOperands(
  condition: { op: ConditionOp | (typeof NUMBER_OPS)[number]; type?: ValueType; value?: unknown; values?: unknown[] },
  context: z.RefinementCtx,
): void {
  const { op } = condition;
  const type = conditionType(condition as never);
  const issue = (message: string, path: string) => context.addIssue({ code: 'custom', message, path: [path] });
  if (op === 'exists' || op === 'notExists') {
    if (condition.value !== undefined || condition.values !== undefined) issue(`${op} takes no value`, condition.value !== undefined ? 'value' : 'values');
    return;
  }
  const listOp = op === 'between' || op === 'in' || op === 'notIn';
  if (listOp) {
    if (condition.value !== undefined) return issue(`${op} takes values, not value`, 'value');
    if (!condition.values) return issue(`${op} needs values`, 'values');
    if (op === 'between' && condition.values.length !== 2) return issue('between needs exactly two values [low, high]', 'values');
    if (condition.values.length === 0) return issue(`${op} needs at least one value`, 'values');
  } else {
    if (condition.values !== undefined) return issue(`${op} takes value, not values`, 'values');
    if (condition.value === undefined) return issue(`${op} needs a value`, 'value');
  }
  if ((op === 'contains' || op === 'startsWith') && type !== 'string') return issue(`${op} compares strings`, 'op');
  if (type === 'boolean' && ORDERED_OPS.includes(op)) return issue(`${op} does not apply to booleans`, 'op');
  const operands = listOp ? condition.values! : [condition.value];
  for (const [index, operand] of operands.entries()) {
    if (type === 'date') {
      if (typeof operand !== 'string' || parseDate(operand) === undefined)
        return context.addIssue({ code: 'custom', message: 'a date is an ISO 8601 date-time with a zone (2026-12-05T10:00:00Z), or a date, on a real calendar day', path: listOp ? ['values', index] : ['value'] });
    } else if (typeof operand !== type) {
      return context.addIssue({ code: 'custom', message: `must be a ${type} (the condition compares ${type}s)`, path: listOp ? ['values', index] : ['value'] });
    }
  }
  if (op === 'between') {
    const [low, high] = condition.values!.map((operand) => (type === 'date' ? parseDate(operand as string) : operand)) as [number, number];
    if (low > high) issue('between needs low ≤ high', 'values');
  }
}

/**
 * Dates inside properties and operands: RFC 3339 with a zone (seconds and up to 3 fraction digits
 * optional), or a plain date (midnight UTC); years 0001–9999, month 01–12, day 01–31, hour 00–23,
 * minutes and seconds 00–59, offsets up to ±23:59. `parseDate` also refuses a day past its month's end.
 */
export const ISO_DATE_TIME =
  /^(?!0000)\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,3})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d))?$/;
