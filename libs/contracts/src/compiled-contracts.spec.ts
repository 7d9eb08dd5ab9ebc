import { isDeepStrictEqual } from 'node:util';
import { compiledJsonSchema, EventsIngested, MAX_EVENTS_PER_MESSAGE, type MessageContract } from './index.js';
import * as messages from './messages.js';

const compiledContracts = (Object.entries(messages) as [string, unknown][]).filter(
  (entry): entry is [string, MessageContract] => typeof entry[1] === 'object' && entry[1] !== null && 'accepts' in entry[1] && Boolean(entry[1].accepts),
);

/** Every key path in a JSON Schema with its value. */
function* keywords(schema: unknown, path = ''): Generator<[string, string, unknown]> {
  if (Array.isArray(schema)) for (const [i, item] of schema.entries()) yield* keywords(item, `${path}[${i}]`);
  else if (schema && typeof schema === 'object') {
    for (const [key, value] of Object.entries(schema)) {
      yield [`${path}.${key}`, key, value];
      yield* keywords(value, `${path}.${key}`);
    }
  }
}

/** A small seeded generator, so a failing case can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return state / 2 ** 32;
  };
}

const projectId = '3f2b8c1e-5d4a-4b7e-9a1f-2c3d4e5f6a7b';
const event = (n: number): Record<string, unknown> => ({
  eventId: `8a7b6c5d-4e3f-4a1b-8c9d-${n.toString(16).padStart(12, '0')}`,
  messageId: `node-next-1700000000000-${n}`,
  profileId: n % 2 ? '0d6f0a5e-1b2c-4d3e-8f40-5a6b7c8d9e0f' : null,
  name: 'Product Viewed',
  timestamp: '2026-11-23T10:11:12.345Z',
  properties: { price: 24.99, tags: ['a'], nested: { deep: [1, { x: null }] } },
  type: 'track',
  userId: n % 3 ? `user-${n}` : null,
  anonymousId: `anon-${n}`,
});

/** Ways to change a body, each one that zod may or may not accept. */
const VALUES: unknown[] = [
  undefined, null, '', 'x', 0, 1.5, -1, true, [], [1], {}, { a: 1 }, 'not-a-uuid', '8A7B6C5D-4E3F-4A1B-8C9D-0E1F2A3B4C5D',
  '00000000-0000-0000-0000-000000000000', '8a7b6c5d-4e3f-9a1b-8c9d-0e1f2a3b4c5d', '2026-11-23T10:11:12Z', '2026-11-23T10:11:12+01:00',
  '2026-11-23 10:11:12', '2026-02-30T00:00:00Z', '2026-11-23T10:11:12.123456789Z', 'identify', 'bogus', '\u00e9', '\ud83d\ude00', ' ',
];
const EVENT_KEYS = [...Object.keys(event(0)), 'traits', 'previousId', 'context', 'deviceId', 'extra'];

function mutate(body: Record<string, unknown>, random: () => number): void {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const events = Array.isArray(body.events) ? (body.events as unknown[]) : [];
  const anEvent = () => {
    const chosen = events[Math.floor(random() * events.length)];
    return chosen && typeof chosen === 'object' ? (chosen as Record<string, unknown>) : {};
  };
  switch (Math.floor(random() * 6)) {
    case 0:
      body[pick(['projectId', 'occurredAt', 'events', 'extra'])] = pick(VALUES);
      break;
    case 1:
      delete body[pick(['projectId', 'occurredAt', 'events'])];
      break;
    case 2:
      anEvent()[pick(EVENT_KEYS)] = pick(VALUES);
      break;
    case 3:
      delete anEvent()[pick(EVENT_KEYS)];
      break;
    case 4:
      events[Math.floor(random() * events.length)] = pick(VALUES);
      break;
    default:
      body.events = random() < 0.5 ? [] : Array.from({ length: MAX_EVENTS_PER_MESSAGE + 1 }, (_, n) => event(n));
  }
}

describe('compiled contracts', () => {
  it.each(compiledContracts)('%s is stated exactly by its JSON Schema (no defaults, no length but a minimum of 1)', (_name, contract) => {
    for (const [path, key, value] of keywords(compiledJsonSchema(contract.schema))) {
      expect([path, key === 'default' || key === 'maxLength' || (key === 'minLength' && value !== 1)]).toEqual([path, false]);
    }
  });

  it('EventsIngested: the compiled check accepts exactly what zod accepts unchanged (3,000 mutated bodies)', () => {
    const random = seeded(20261123);
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const body: Record<string, unknown> = { projectId, occurredAt: '2026-11-23T10:11:12.345Z', events: [event(i), event(i + 1), event(i + 2)] };
      const mutations = Math.floor(random() * 3);
      for (let m = 0; m < mutations; m++) mutate(body, random);
      const zod = EventsIngested.schema.safeParse(body);
      const compiled = EventsIngested.accepts!(body);
      // The compiled check may refuse what zod accepts (zod then runs), never the other way round.
      if (compiled) expect({ case: i, zod: zod.success, same: zod.success && isDeepStrictEqual(zod.data, body) }).toEqual({ case: i, zod: true, same: true });
      if (compiled) accepted++;
      if (!zod.success) refused++;
    }
    // Both outcomes are well represented, so neither side of the comparison is vacuous.
    expect(accepted).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(500);
  });
});
