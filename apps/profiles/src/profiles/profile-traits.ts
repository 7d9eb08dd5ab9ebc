/**
 * How identify traits change a profile. A trait is a plain value (set) or one CleverTap operator
 * object: `{ "$add": v | [v…] }`, `{ "$remove": v | [v…] }`, `{ "$incr": n }`, `{ "$decr": n }`,
 * `{ "$delete": true }`. `MSG-email`, `MSG-sms`, `MSG-push`, `MSG-whatsapp` and `MSG-dndPhone` are consent, not
 * properties. Pure: the caller reads and writes the profile under its row lock.
 */
export const PROFILE_OPERATORS = ['$add', '$remove', '$incr', '$decr', '$delete'] as const;
export type ProfileOperator = (typeof PROFILE_OPERATORS)[number];

/** An operator that could not apply; the rest of the traits still do. No values: they may be personal. */
export interface SkippedOperator {
  property: string;
  operator: ProfileOperator;
  reason: string;
}

/** A value that does not fit its property's type (names and types only: values may be personal). */
export interface RejectedProperty {
  property: string;
  reason: string;
}

export interface AppliedProperties {
  properties: Record<string, unknown>;
  skipped: SkippedOperator[];
  rejected: RejectedProperty[];
}

/** Fits a property's new value to its type (see PropertyTyping.fit); `exact` for operator results, which are not coerced. */
export type FitProperty = (property: string, value: unknown, exact: boolean) => { ok: true; value: unknown } | { ok: false; reason: string };

const untyped: FitProperty = (_property, value) => ({ ok: true, value });

/**
 * Applies `traits` to a copy of `current`: plain values replace, operators change the property.
 * Each new value (an operator's result included) goes through `fit`: stored as it returns, or
 * left out with its reason.
 */
export function applyPropertyTraits(current: Record<string, unknown>, traits: Record<string, unknown>, fit: FitProperty = untyped): AppliedProperties {
  const properties = { ...current };
  const skipped: SkippedOperator[] = [];
  const rejected: RejectedProperty[] = [];
  const store = (property: string, value: unknown, exact = false) => {
    const fitted = fit(property, value, exact);
    if (fitted.ok) properties[property] = fitted.value;
    else rejected.push({ property, reason: fitted.reason });
  };
  for (const [property, value] of Object.entries(traits)) {
    const operation = operatorOf(value);
    if (!operation) {
      store(property, value);
      continue;
    }
    const outcome = apply(operation.operator, operation.operand, properties[property]);
    if (outcome.kind === 'skip') skipped.push({ property, operator: operation.operator, reason: outcome.reason });
    else if (outcome.kind === 'delete') delete properties[property];
    else if (outcome.value !== undefined) store(property, outcome.value, true);
  }
  return { properties, skipped, rejected };
}

type Outcome = { kind: 'set'; value: unknown } | { kind: 'delete' } | { kind: 'skip'; reason: string };
const set = (value: unknown): Outcome => ({ kind: 'set', value });
const skip = (reason: string): Outcome => ({ kind: 'skip', reason });

function apply(operator: ProfileOperator, operand: unknown, current: unknown): Outcome {
  const absent = current === undefined || current === null;
  switch (operator) {
    case '$add':
    case '$remove': {
      const values = Array.isArray(operand) ? operand : [operand];
      if (values.length === 0 || !values.every(isScalar)) return skip(`${operator} takes a string, a number or an array of them`);
      if (operator === '$remove') {
        if (absent) return set(current);
        if (!Array.isArray(current)) return skip('property is not a list');
        return set(current.filter((item) => !values.some((value) => same(value, item))));
      }
      // A multi-value property is a set: values already present are not added again.
      if (!absent && !Array.isArray(current) && !isScalar(current)) return skip('property is not a list');
      const list = absent ? [] : Array.isArray(current) ? [...current] : [current];
      for (const value of values) if (!list.some((item) => same(value, item))) list.push(value);
      return set(list);
    }
    case '$incr':
    case '$decr': {
      if (typeof operand !== 'number' || !Number.isFinite(operand)) return skip(`${operator} takes a number`);
      if (!absent && typeof current !== 'number') return skip('property is not a number');
      const base = absent ? 0 : (current as number);
      return set(operator === '$incr' ? base + operand : base - operand);
    }
    case '$delete':
      return operand === true ? { kind: 'delete' } : skip('$delete takes true');
  }
}

/** `{ "$incr": 5 }` → the operator; anything else is a plain value. */
export function operatorOf(value: unknown): { operator: ProfileOperator; operand: unknown } | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  if (keys.length !== 1 || !PROFILE_OPERATORS.includes(keys[0] as ProfileOperator)) return null;
  return { operator: keys[0] as ProfileOperator, operand: (value as Record<string, unknown>)[keys[0]!] };
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** Subscription flags per channel (`MSG-<channel>`), and do-not-disturb on the phone. */
const SUBSCRIPTION_FLAGS: Record<string, string> = { 'MSG-email': 'email', 'MSG-sms': 'sms', 'MSG-push': 'push', 'MSG-whatsapp': 'whatsapp' };
const DND_PHONE = 'MSG-dndPhone';

/** The consent column's shape: one entry per channel, each stamped when it last changed. */
export type Consent = Record<string, { subscribed?: boolean; dnd?: boolean; updatedAt: string }>;

export interface ConsentTraits {
  /** Channels to replace in the profile's consent. */
  consent: Consent;
  /** The traits that are not consent flags. */
  rest: Record<string, unknown>;
  /** Consent flags that were not booleans (names only). */
  rejected: string[];
}

/** Splits the `MSG-*` consent flags from the other traits. */
export function consentTraits(traits: Record<string, unknown>, now: Date): ConsentTraits {
  const consent: Consent = {};
  const rest: Record<string, unknown> = {};
  const rejected: string[] = [];
  const updatedAt = now.toISOString();
  for (const [key, value] of Object.entries(traits)) {
    const channel = SUBSCRIPTION_FLAGS[key];
    if (!channel && key !== DND_PHONE) {
      rest[key] = value;
    } else if (typeof value !== 'boolean') {
      if (value !== undefined && value !== null) rejected.push(key);
    } else if (channel) {
      consent[channel] = { subscribed: value, updatedAt };
    } else {
      consent.phone = { dnd: value, updatedAt };
    }
  }
  return { consent, rest, rejected };
}

/** Merging two profiles' consent: per channel, the more recent decision wins (a later opt-out survives). */
export function mergeConsent(survivor: Consent, merged: Consent): Consent {
  const result: Consent = { ...survivor };
  for (const [channel, decision] of Object.entries(merged ?? {})) {
    const current = result[channel];
    if (!current || new Date(decision.updatedAt).getTime() > new Date(current.updatedAt).getTime()) result[channel] = decision;
  }
  return result;
}

/** How `profile.verified_fields` names a property a verified write set (besides `name`, `time_zone` and `locale`). */
export const verifiedProperty = (name: string): string => `properties.${name}`;

/** The traits naming each column-backed field, as identify sends them. */
const COLUMN_TRAITS: Record<string, readonly string[]> = { name: ['name'], time_zone: ['Tz', 'timezone'], locale: ['locale'] };
const CONTEXT_KEYS: Record<string, string> = { time_zone: 'timezone', locale: 'locale' };

export interface UnverifiedShare {
  traits: Record<string, unknown>;
  context: Record<string, unknown> | undefined;
  /** Trait names held back (names only: values may be personal). */
  held: string[];
}

/**
 * What an unverified write (a publishable key without a user token for the user) may change:
 * never email, phone or consent, and nothing a verified write set last (`verified`, as
 * `profile.verified_fields` holds it). Pure: the traits and context left, and what was held back.
 */
export function unverifiedShare(traits: Record<string, unknown>, context: Record<string, unknown> | undefined, verified: ReadonlySet<string>): UnverifiedShare {
  const kept: Record<string, unknown> = {};
  const held: string[] = [];
  const heldColumns = new Set(Object.entries(COLUMN_TRAITS).flatMap(([field, names]) => (verified.has(field) ? names : [])));
  for (const [key, value] of Object.entries(traits)) {
    const isColumnTrait = Object.values(COLUMN_TRAITS).some((names) => names.includes(key));
    const protectedTrait =
      key === 'email' || key === 'phone' || key in SUBSCRIPTION_FLAGS || key === DND_PHONE || heldColumns.has(key) || (!isColumnTrait && verified.has(verifiedProperty(key)));
    if (protectedTrait) held.push(key);
    else kept[key] = value;
  }
  let keptContext = context;
  for (const [field, key] of Object.entries(CONTEXT_KEYS)) {
    if (verified.has(field) && keptContext?.[key] != null) {
      const { [key]: _dropped, ...rest } = keptContext;
      keptContext = rest;
      held.push(`context.${key}`);
    }
  }
  return { traits: kept, context: keptContext, held };
}
