import {
  defaultFieldResolver,
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLFieldResolver,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { isUuid } from './connection.js';
import { ArgumentError, ArgumentErrorCode } from './argument-rules.errors.js';

/** Objects and arrays a `JSON` value may nest (the root counts as one), as events ingestion allows. */
export const MAX_JSON_DEPTH = 64;

/** The `DateTime` range: four-digit years, which every client and PostgreSQL's timestamptz handle. */
export const DATE_TIME_RANGE = { min: new Date('0001-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z') } as const;

// Without the `u` flag a regular expression sees UTF-16 code units, so lone halves of a pair match.
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function checkText(value: string, field: string, subject = ''): void {
  if (value.includes('\u0000')) {
    throw new ArgumentError(ArgumentErrorCode.NulCharacter, field, `${subject}must not contain the NUL character (U+0000)`);
  }
  if (UNPAIRED_SURROGATE.test(value)) {
    throw new ArgumentError(ArgumentErrorCode.UnpairedSurrogate, field, `${subject}must be well-formed Unicode (it holds an unpaired UTF-16 surrogate)`);
  }
}

/** A JSON key as a path segment, shortened so an error message stays readable. */
function keySegment(key: string): string {
  if (key.length <= 40) return key;
  const cut = /[\ud800-\udbff]$/.test(key.slice(0, 40)) ? 39 : 40;
  return `${key.slice(0, cut)}…`;
}

function checkJson(value: unknown, field: string, level: number, subject: string): void {
  if (typeof value === 'string') return checkText(value, field, subject);
  if (typeof value !== 'object' || value === null) return;
  if (level > MAX_JSON_DEPTH) {
    throw new ArgumentError(ArgumentErrorCode.JsonTooDeep, field, `${subject}may nest objects and arrays at most ${MAX_JSON_DEPTH} levels deep`);
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => checkJson(item, `${field}.${index}`, level + 1, subject));
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    checkText(key, field, `${subject}a key `);
    checkJson(item, `${field}.${keySegment(key)}`, level + 1, subject);
  }
}

function checkDateTime(value: unknown, field: string, subject: string): void {
  const time = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!(time >= DATE_TIME_RANGE.min.getTime() && time <= DATE_TIME_RANGE.max.getTime())) {
    throw new ArgumentError(
      ArgumentErrorCode.DateTimeOutOfRange,
      field,
      `${subject}must be an ISO 8601 date-time (e.g. 2026-01-31T09:30:00Z) between the years 0001 and 9999`,
    );
  }
}

/**
 * Rules by scalar name; other scalars (Int, Float, Boolean, enums) are checked by GraphQL itself.
 * `subject` names what in the field is meant when it is not the whole value (`item 2 `).
 */
const SCALAR_RULES: Record<string, (value: unknown, field: string, subject: string) => void> = {
  String: (value, field, subject) => {
    if (typeof value === 'string') checkText(value, field, subject);
  },
  // Every id Boomerang mints is a UUID; anything else could never name a row.
  ID: (value, field, subject) => {
    if (typeof value !== 'string' || !isUuid(value)) {
      throw new ArgumentError(ArgumentErrorCode.MalformedId, field, `${subject}must be a UUID (e.g. 0e9f1c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b)`);
    }
  },
  DateTime: checkDateTime,
  JSON: (value, field, subject) => checkJson(value, field, 1, subject),
};

function checkValue(type: GraphQLInputType, value: unknown, field: string, subject = ''): void {
  if (value === null || value === undefined) return;
  if (isNonNullType(type)) return checkValue(type.ofType, value, field, subject);
  if (isListType(type)) {
    // As class-validator names them: an input object in a list by its index, a scalar by its list.
    const items = Array.isArray(value) ? value : [value];
    const itemType = getNamedType(type);
    items.forEach((item, index) =>
      isInputObjectType(itemType) ? checkValue(type.ofType, item, `${field}.${index}`) : checkValue(type.ofType, item, field, `item ${index} `),
    );
    return;
  }
  if (isInputObjectType(type)) {
    for (const [name, inputField] of Object.entries(type.getFields())) {
      checkValue(inputField.type, (value as Record<string, unknown>)[name], `${field}.${name}`);
    }
    return;
  }
  if (isScalarType(type)) SCALAR_RULES[type.name]?.(value, field, subject);
}

/** Whether a value of this type can hold a scalar with rules (input types may refer to themselves). */
function hasRules(type: GraphQLInputType, seen = new Set<GraphQLInputType>()): boolean {
  if (isNonNullType(type) || isListType(type)) return hasRules(type.ofType, seen);
  if (isScalarType(type)) return type.name in SCALAR_RULES;
  if (!isInputObjectType(type) || seen.has(type)) return false;
  seen.add(type);
  return Object.values(type.getFields()).some((inputField) => hasRules(inputField.type, seen));
}

/** Throws an `ArgumentError` naming the first argument value that breaks a rule. */
export function assertArgumentRules(args: readonly GraphQLArgument[], values: Record<string, unknown>): void {
  for (const arg of args) checkValue(arg.type, values[arg.name], arg.name);
}

/**
 * Applies the argument rules to every field of the schema before its resolver runs (and so before
 * guards, pipes and the database see the value): strings and JSON hold no NUL and no unpaired
 * surrogate (PostgreSQL refuses the first and mangles the second), `ID`s are UUIDs, `DateTime`s
 * lie in `DATE_TIME_RANGE` and JSON nests at most `MAX_JSON_DEPTH` levels. The schema's field
 * resolvers are wrapped in place.
 */
export function enforceArgumentRules(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const ruled = field.args.filter((arg) => hasRules(arg.type));
      if (ruled.length === 0) continue;
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        assertArgumentRules(ruled, args);
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}
