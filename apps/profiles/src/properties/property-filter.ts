import { PropertyComparison, type PropertyCondition } from '../profiles/dto/profiles.args.js';
import { ProfileError, ProfileErrorCode } from '../profiles/profile.errors.js';
import { fitToType, type PropertyType } from './property-types.js';

/** The comparisons each property type has. */
const COMPARISONS: Record<PropertyType, readonly PropertyComparison[]> = {
  string: [PropertyComparison.EQUALS, PropertyComparison.NOT_EQUALS],
  boolean: [PropertyComparison.EQUALS, PropertyComparison.NOT_EQUALS],
  number: [
    PropertyComparison.EQUALS,
    PropertyComparison.NOT_EQUALS,
    PropertyComparison.GREATER_THAN,
    PropertyComparison.GREATER_OR_EQUAL,
    PropertyComparison.LESS_THAN,
    PropertyComparison.LESS_OR_EQUAL,
  ],
  date: [PropertyComparison.EQUALS, PropertyComparison.NOT_EQUALS, PropertyComparison.BEFORE, PropertyComparison.AFTER],
  list: [PropertyComparison.CONTAINS],
  object: [],
};

const ORDER: Partial<Record<PropertyComparison, string>> = {
  [PropertyComparison.GREATER_THAN]: '>',
  [PropertyComparison.GREATER_OR_EQUAL]: '>=',
  [PropertyComparison.LESS_THAN]: '<',
  [PropertyComparison.LESS_OR_EQUAL]: '<=',
  [PropertyComparison.BEFORE]: '<',
  [PropertyComparison.AFTER]: '>',
};

export interface ConditionSql {
  sql: string;
  params: Record<string, unknown>;
}

/**
 * SQL (TypeORM named parameters, alias `profile`) for one condition on a property of `type`
 * (undefined: not in the catalog). Errors name `filter.properties.<n>.<field>` and the rule.
 * Values are compared as their type stores them: numbers as numeric, dates as their fixed UTC
 * text form (byte order, which is time order), lists by containment.
 */
export function propertyConditionSql(condition: PropertyCondition, type: PropertyType | undefined, n: number): ConditionSql {
  const field = (name: string) => `filter.properties.${n}.${name}`;
  const invalid = (name: string, rule: string) =>
    new ProfileError(ProfileErrorCode.InvalidPropertyFilter, `Invalid value for ${field(name)}: ${rule}`, field(name));
  if (!type) throw invalid('name', `no property "${condition.name}" in this project (see profileProperties)`);
  const allowed = COMPARISONS[type];
  if (!allowed.includes(condition.comparison)) {
    throw invalid('comparison', `${condition.comparison} does not apply to a ${type} property${allowed.length ? ` (use ${allowed.join(', ')})` : ''}`);
  }
  const key = `propertyName${n}`;
  const value = `propertyValue${n}`;
  const property = `profile.properties -> :${key}`;
  if (type === 'list') {
    const item = fitToType(condition.value, 'list');
    if (!item.ok || (item.value as unknown[]).length !== 1) throw invalid('value', 'CONTAINS takes one string, number or boolean');
    return { sql: `${property} @> :${value}::jsonb`, params: { [key]: condition.name, [value]: JSON.stringify(item.value) } };
  }
  const fitted = condition.value === null ? null : fitToType(condition.value, type);
  if (!fitted?.ok) throw invalid('value', `must be a ${type === 'date' ? 'date (ISO 8601 or $D_<epoch seconds>)' : type}`);
  const params = { [key]: condition.name, [value]: type === 'number' || type === 'date' ? fitted.value : JSON.stringify(fitted.value) };
  const order = ORDER[condition.comparison];
  if (condition.comparison === PropertyComparison.EQUALS || condition.comparison === PropertyComparison.NOT_EQUALS) {
    const operator = condition.comparison === PropertyComparison.EQUALS ? '=' : '<>';
    return { sql: `${property} ${operator} to_jsonb(:${value}${type === 'number' ? '::numeric' : type === 'date' ? '::text' : '::jsonb'})`, params };
  }
  if (type === 'number') {
    return { sql: `(CASE WHEN jsonb_typeof(${property}) = 'number' THEN (profile.properties ->> :${key})::numeric END) ${order} :${value}::numeric`, params };
  }
  return { sql: `(CASE WHEN jsonb_typeof(${property}) = 'string' THEN profile.properties ->> :${key} END) COLLATE "C" ${order} (:${value}::text COLLATE "C")`, params };
}
