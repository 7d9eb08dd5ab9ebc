import { StringDecoder } from 'node:string_decoder';
import { CohortFileError } from './cohort-file-error.js';

export interface MixpanelProfile {
  /** 1-based, in file order. */
  readonly index: number;
  /** The profile's `$distinct_id` as text (numbers as written), or null when it has none. */
  readonly distinctId: string | null;
  readonly problem?: string;
}

type Role = 'top' | 'profiles' | 'profile' | 'other';
interface Container {
  readonly kind: 'object' | 'array';
  readonly role: Role;
  /** Objects: the key whose value comes next (null while a key is expected). */
  key: string | null;
  distinctId?: string | null;
  hasResults?: boolean;
}

const WHITESPACE = new Set([' ', '\n', '\r', '\t', '\ufeff']);
const SCALAR_END = new Set([' ', '\n', '\r', '\t', ',', ']', '}', ':']);
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * Streams the profiles of Mixpanel JSON without holding more than the current token: engage pages
 * (`{ "results": [ { "$distinct_id": …, "$properties": {…} }, … ] }`), arrays of profiles and
 * single profiles, any number of them one after another. Only `$distinct_id` is read; properties
 * are skipped. Tokens longer than `maxToken` characters and invalid JSON fail with the line.
 */
export async function* mixpanelProfiles(chunks: AsyncIterable<Buffer>, maxToken: number): AsyncGenerator<MixpanelProfile> {
  const decoder = new StringDecoder('utf8');
  const stack: Container[] = [];
  let line = 1;
  let index = 0;
  /** Raw text of the string being read (escapes kept), null outside strings. */
  let text: string | null = null;
  let escaped = false;
  /** Characters of the number or literal being read, null outside one. */
  let scalar: string | null = null;
  let topValues = 0;

  const fail = (message: string): never => {
    throw new CohortFileError(`line ${line}: not valid Mixpanel JSON (${message})`);
  };
  const top = (): Container | undefined => stack[stack.length - 1];

  /** A value of any kind starts in the current container: which role does a container started here play? */
  const roleHere = (): Role => {
    const parent = top();
    if (!parent) return 'top';
    if (parent.role === 'profiles') return 'profile';
    if (parent.role === 'top' && parent.key === 'results') return 'profiles';
    return 'other';
  };

  /** A scalar value (decoded) ends: a profile's `$distinct_id`, a bad element of a profile list, or nothing of interest. */
  const scalarValue = (value: string | number | boolean | null): MixpanelProfile | null => {
    const parent = top();
    if (!parent) return fail('expected an object or array at the top level');
    if (parent.kind === 'object') {
      if (parent.key === '$distinct_id' && (parent.role === 'profile' || parent.role === 'top'))
        parent.distinctId = value === null || typeof value === 'boolean' ? null : String(value);
      parent.key = null;
      return null;
    }
    return parent.role === 'profiles' ? { index: ++index, distinctId: null, problem: `a profile list holds ${JSON.stringify(value)}, not a profile object` } : null;
  };

  /** A container closed: a profile to report, or a check of what the top level held. */
  const closed = (container: Container): MixpanelProfile | null => {
    const parent = top();
    if (parent?.kind === 'object') {
      if (parent.role === 'top' && parent.key === 'results' && container.kind === 'array') parent.hasResults = true;
      parent.key = null;
    }
    if (container.kind === 'array') {
      if (parent?.role === 'profiles') return { index: ++index, distinctId: null, problem: 'a profile list holds an array, not a profile object' };
      return null;
    }
    if (container.role === 'profile') return { index: ++index, distinctId: container.distinctId ?? null, ...(container.distinctId === undefined ? { problem: 'a profile without $distinct_id' } : {}) };
    if (container.role === 'top') {
      if (container.distinctId !== undefined) return { index: ++index, distinctId: container.distinctId };
      if (!container.hasResults) fail('a top-level object that is neither a profile ($distinct_id) nor an engage page (results)');
    }
    return null;
  };

  async function* characters(): AsyncGenerator<string> {
    for await (const chunk of chunks) yield decoder.write(chunk);
    yield decoder.end();
  }

  for await (const piece of characters()) {
    for (let i = 0; i < piece.length; i++) {
      const char = piece[i]!;
      if (text !== null) {
        // Inside a string: take everything up to the closing quote at once.
        let end = i;
        while (end < piece.length) {
          const c = piece[end]!;
          if (escaped) escaped = false;
          else if (c === '\\') escaped = true;
          else if (c === '"') break;
          else if (c === '\n') fail('a line break inside a string');
          end++;
        }
        text += piece.slice(i, end);
        if (text.length > maxToken) fail(`a string longer than ${maxToken} characters`);
        if (end === piece.length) {
          i = end;
          continue;
        }
        i = end;
        let decoded: string;
        try {
          decoded = JSON.parse(`"${text}"`) as string;
        } catch {
          return fail('a string with an invalid escape');
        }
        text = null;
        const parent = top();
        if (parent?.kind === 'object' && parent.key === null) {
          parent.key = decoded;
          continue;
        }
        const profile = scalarValue(decoded);
        if (profile) yield profile;
        continue;
      }
      if (scalar !== null) {
        if (!SCALAR_END.has(char)) {
          scalar += char;
          if (scalar.length > 64) fail('a number or literal longer than 64 characters');
          continue;
        }
        const literal = scalar;
        scalar = null;
        let value: string | number | boolean | null;
        if (literal === 'true' || literal === 'false') value = literal === 'true';
        else if (literal === 'null') value = null;
        else if (NUMBER.test(literal)) value = literal;
        else return fail(`unexpected ${JSON.stringify(literal)}`);
        const profile = scalarValue(value);
        if (profile) yield profile;
        // The delimiter that ended it is handled below.
      }
      if (char === '\n') line++;
      if (WHITESPACE.has(char) || char === ',' || char === ':') {
        if (char === ':' && (top()?.kind !== 'object' || top()!.key === null)) fail('an unexpected ":"');
        continue;
      }
      if (char === '"') {
        text = '';
        continue;
      }
      if (char === '{' || char === '[') {
        if (!top()) topValues++;
        if (top()?.kind === 'object' && top()!.key === null) fail(`a key expected, got "${char}"`);
        stack.push({ kind: char === '{' ? 'object' : 'array', role: char === '[' && !top() ? 'profiles' : roleHere(), key: null });
        if (stack.length > 64) fail('nested deeper than 64 levels');
        continue;
      }
      if (char === '}' || char === ']') {
        const container = stack.pop();
        if (!container || container.kind !== (char === '}' ? 'object' : 'array')) fail(`an unexpected "${char}"`);
        const profile = closed(container!);
        if (profile) yield profile;
        continue;
      }
      if (top()?.kind === 'object' && top()!.key === null) fail(`a key expected, got "${char}"`);
      scalar = char;
    }
  }
  if (text !== null) fail('the file ends inside a string');
  if (scalar !== null) fail('the file ends inside a value');
  if (stack.length) fail('the file ends before its last object or array is closed');
  if (topValues === 0) fail('no JSON value');
}
