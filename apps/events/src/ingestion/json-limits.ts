/**
 * What the ingestion API's JSON may hold besides its wire format's own rules: no deeper nesting
 * than PostgreSQL, JSON.stringify and the services reading events handle without recursing out of
 * stack, and only text PostgreSQL stores as sent. Every check here stops descending at the
 * nesting limit, so none of them recurses deeper than it, whatever the body.
 */

/** How deep properties, traits, context (any field of a message or record) may nest objects and arrays; the field's own object is level 1. */
export const MAX_NESTING_DEPTH = 32;

/** The rule a field nested past MAX_NESTING_DEPTH breaks. */
export const NESTING_RULE = `must not nest objects and arrays more than ${MAX_NESTING_DEPTH} levels deep`;

/** A field and the rule it breaks, e.g. `{ field: 'batch[3].properties.note', rule: 'must not contain …' }`. */
export interface BrokenRule {
  field: string;
  rule: string;
}

/**
 * An upper bound on the UTF-8 length of `JSON.stringify(value)`, without building it: a UTF-16
 * unit of a string takes at most 6 bytes (`\u001f`, a lone surrogate), a number at most 25
 * characters (`-0.0000012345678901234567`), an int32 at most 11. `value` is at `depth` (a message
 * or record: 0); Infinity when an object or array in it sits deeper than MAX_NESTING_DEPTH
 * (see fieldNestedTooDeep), so one walk measures and checks the nesting.
 */
export function jsonBytesAtMost(value: unknown, depth: number): number {
  switch (typeof value) {
    case 'string':
      return value.length * 6 + 2;
    case 'number':
      return value === (value | 0) ? 11 : 25;
    case 'boolean':
      return 5;
    case 'object': {
      if (value === null) return 4;
      if (depth > MAX_NESTING_DEPTH) return Infinity;
      if (Array.isArray(value)) {
        let bytes = 2 + value.length;
        for (const item of value) bytes += jsonBytesAtMost(item, depth + 1);
        return bytes;
      }
      let bytes = 2;
      for (const key in value) bytes += key.length * 6 + 4 + jsonBytesAtMost((value as Record<string, unknown>)[key], depth + 1);
      return bytes;
    }
    default:
      return Infinity;
  }
}

/** Whether an object or array in `value` (itself at `depth`) sits deeper than MAX_NESTING_DEPTH. */
export function nestsTooDeep(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth > MAX_NESTING_DEPTH) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (nestsTooDeep(item, depth + 1)) return true;
    return false;
  }
  for (const key in value) if (nestsTooDeep((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

/** The first object or array in `value` (at `depth`, named `path`) deeper than MAX_NESTING_DEPTH, as `batch[0].properties.a.b[2]`, or undefined. */
export function fieldNestedTooDeep(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth > MAX_NESTING_DEPTH) return path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = fieldNestedTooDeep(value[i], `${path}[${i}]`, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const key in value) {
    const found = fieldNestedTooDeep((value as Record<string, unknown>)[key], fieldPath(path, key), depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Whether JSON `text` may hold a string PostgreSQL cannot store as sent: NUL (text and jsonb
 * refuse it) or a lone UTF-16 surrogate (jsonb refuses it; text would store U+FFFD instead).
 * Valid JSON carries either only as an escape (`\u0000`, `\ud800`…`\udfff`; invalid UTF-8 is
 * decoded to U+FFFD), so a body without one skips the walk: one scan for `\u`.
 */
export function mayHoldUnstorableText(text: string): boolean {
  for (let at = text.indexOf('\\u'); at !== -1; at = text.indexOf('\\u', at + 2)) {
    const next = text.charCodeAt(at + 2);
    if (next === 0x64 /* d */ || next === 0x44 /* D */ || text.startsWith('0000', at + 2)) return true;
  }
  return false;
}

/** How deep a message or record sits in a request body at most: `batch[3]`, `d[3]`. */
const ENVELOPE_DEPTH = 2;

/**
 * The first key or string value of `body` PostgreSQL cannot store as sent (see
 * mayHoldUnstorableText), named like `batch[3].properties.note`. Looks no deeper than a message's
 * fields may nest; anything deeper is refused for its nesting before it could be stored.
 */
export function unstorableText(body: unknown): BrokenRule | undefined {
  return unstorableTextIn(body, '', 0, ENVELOPE_DEPTH + MAX_NESTING_DEPTH);
}

function unstorableTextIn(value: unknown, path: string, depth: number, maxDepth: number): BrokenRule | undefined {
  if (typeof value === 'string') return textRuleBroken(value, path);
  if (typeof value !== 'object' || value === null || depth > maxDepth) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableTextIn(value[i], `${path}[${i}]`, depth + 1, maxDepth);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const key in value) {
    const field = fieldPath(path, key);
    const found = textRuleBroken(key, field) ?? unstorableTextIn((value as Record<string, unknown>)[key], field, depth + 1, maxDepth);
    if (found !== undefined) return found;
  }
  return undefined;
}

function textRuleBroken(text: string, field: string): BrokenRule | undefined {
  const named = field || 'body';
  if (text.includes('\0')) return { field: named, rule: 'must not contain the NUL character (\\u0000)' };
  if (hasLoneSurrogate(text)) return { field: named, rule: 'must not contain a lone UTF-16 surrogate (\\ud800-\\udfff not in a valid pair)' };
  return undefined;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if ((unit & 0xf800) !== 0xd800) continue;
    if (unit >= 0xdc00 || (text.charCodeAt(i + 1) & 0xfc00) !== 0xdc00) return true;
    i++;
  }
  return false;
}

/**
 * `path.key`, or `path["key"]` for a key that would blur the path or the `field: rule` message
 * (a dot, colon, bracket, quote or blank in it, or none at all): `profileData[":"]: …`.
 */
export function fieldPath(path: string, key: string): string {
  if (!/^[^.:[\]"\s]+$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path ? `${path}.${key}` : key;
}
