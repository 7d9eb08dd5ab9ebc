import { Buffer } from 'node:buffer';
import { IngestionError, IngestionErrorCode } from '../ingestion.errors.js';
import { MAX_MESSAGE_BYTES, segmentCommands } from './segment-message.js';

const receivedAt = new Date('2024-05-01T12:00:00.000Z');

function sut(call: Parameters<typeof segmentCommands>[0], body: unknown, bodyBytes?: number) {
  let generated = 0;
  return segmentCommands(call, body, receivedAt, () => `generated-${++generated}`, bodyBytes);
}

/** The IngestionError a request is refused with. */
function refusal(call: Parameters<typeof segmentCommands>[0], body: unknown, bodyBytes?: number): IngestionError {
  try {
    sut(call, body, bodyBytes);
  } catch (error) {
    if (error instanceof IngestionError) return error;
    throw error;
  }
  throw new Error('the request was accepted');
}

const track = (extra: Record<string, unknown> = {}) => ({ type: 'track', userId: 'u-1', event: 'Viewed', ...extra });
const inBatch = (...messages: unknown[]) => ({ batch: messages });

describe('segmentCommands', () => {
  it('turns each call type into a command', () => {
    const commands = sut(
      'batch',
      inBatch(
        track({ messageId: 'm-1', properties: { sku: 'A' }, context: { locale: 'en-GB' } }),
        { type: 'identify', anonymousId: 'a-1', traits: { plan: 'pro' } },
        { type: 'page', userId: 'u-1', name: 'Home', category: 'Docs', properties: { path: '/' } },
        { type: 'screen', userId: 'u-1', name: null, properties: { name: 'Cart' } },
        { type: 'group', userId: 'u-1', groupId: 'g-1', traits: { seats: 3 } },
        { type: 'alias', userId: 'u-1', previousId: 'a-1' },
      ),
    );
    expect(commands).toEqual([
      expect.objectContaining({ messageId: 'm-1', type: 'track', name: 'Viewed', userId: 'u-1', anonymousId: null, properties: { sku: 'A' }, context: { locale: 'en-GB' }, traits: null }),
      expect.objectContaining({ messageId: 'generated-1', type: 'identify', name: 'identify', userId: null, anonymousId: 'a-1', properties: { plan: 'pro' }, traits: { plan: 'pro' } }),
      expect.objectContaining({ type: 'page', name: 'page', properties: { name: 'Home', category: 'Docs', path: '/' } }),
      expect.objectContaining({ type: 'screen', name: 'screen', properties: { name: 'Cart' } }),
      expect.objectContaining({ type: 'group', name: 'group', properties: { groupId: 'g-1', traits: { seats: 3 } }, traits: { groupId: 'g-1', traits: { seats: 3 } } }),
      expect.objectContaining({ type: 'alias', name: 'alias', properties: { previousId: 'a-1' }, previousId: 'a-1' }),
    ]);
    for (const command of commands) expect(command).toMatchObject({ profileId: null, timestamp: receivedAt, sentAt: null, receivedAt });
  });

  it("types a single call by its endpoint, whatever the body's type says", () => {
    const [command] = sut('identify', { type: 'track', userId: 'u-1', traits: { plan: 'pro' } });
    expect(command).toMatchObject({ type: 'identify', traits: { plan: 'pro' }, messageId: 'generated-1' });
  });

  it('drops unknown keys, and a "__proto__" key of an object as the zod schema did', () => {
    const body = JSON.parse('{"batch": [{"type": "track", "userId": "u", "event": "E", "colour": "red", "properties": {"__proto__": {"x": 1}, "a": 1}}]}');
    const [command] = sut('batch', body);
    expect(Object.keys(command!).sort()).toEqual(
      ['anonymousId', 'context', 'messageId', 'name', 'previousId', 'profileId', 'properties', 'receivedAt', 'sentAt', 'timestamp', 'traits', 'type', 'userId'],
    );
    expect(Object.keys(command!.properties)).toEqual(['a']);
  });

  it("corrects the sender's clock skew with sentAt, the message's own before the batch's", () => {
    const [skewed, own, unsent] = sut('batch', {
      sentAt: '2024-05-01T11:00:10.000Z',
      context: { library: 'batch' },
      batch: [
        track({ timestamp: '2024-05-01T11:00:00.000Z' }),
        track({ originalTimestamp: '2024-05-01T13:00:00+02:00', sentAt: '2024-05-01T11:00:05.000Z', context: { library: 'own' } }),
        track(),
      ],
    });
    expect(skewed).toMatchObject({ timestamp: new Date('2024-05-01T11:59:50.000Z'), sentAt: new Date('2024-05-01T11:00:10.000Z'), context: { library: 'batch' } });
    expect(own).toMatchObject({ timestamp: new Date('2024-05-01T11:59:55.000Z'), sentAt: new Date('2024-05-01T11:00:05.000Z'), context: { library: 'own' } });
    expect(unsent).toMatchObject({ timestamp: receivedAt });
    expect(sut('track', track({ timestamp: '2024-04-30T08:00:00Z' }))[0]).toMatchObject({ timestamp: new Date('2024-04-30T08:00:00Z'), sentAt: null });
  });

  it('accepts the lengths and instants at the edges', () => {
    const accepted = () =>
      sut('batch', inBatch(
        track({ userId: 'u'.repeat(255), anonymousId: null, event: 'e'.repeat(200), messageId: '😀'.repeat(255) }),
        { type: 'page', anonymousId: 'a', name: '', category: 'c'.repeat(200) },
        track({ timestamp: '2024-02-29T23:59:59.123456Z' }),
        track({ sentAt: '2000-02-29T00:00:00-23:59', originalTimestamp: '1999-12-31T00:00:00+14:00' }),
      ));
    expect(accepted).not.toThrow();
  });

  it.each<[string, string, unknown, string, RegExp]>([
    ['a non-object body', 'batch', [1], 'body', /must be a JSON object/],
    ['a missing batch', 'batch', { sentAt: '2024-01-01T00:00:00Z' }, 'batch', /is required/],
    ['a batch that is not an array', 'batch', { batch: { a: 1 } }, 'batch', /array/],
    ['a bad batch sentAt', 'batch', { batch: [], sentAt: '2024-01-01' }, 'sentAt', /ISO 8601/],
    ['a batch context that is an array', 'batch', { batch: [], context: [] }, 'context', /JSON object/],
    ['a message that is not an object', 'batch', inBatch(track(), 'hello'), 'batch[1]', /JSON object/],
    ['an unknown type', 'batch', inBatch(track({ type: 'click' })), 'batch[0].type', /one of track, identify, page, screen, group, alias/],
    ['a missing type', 'batch', inBatch({ userId: 'u' }), 'batch[0].type', /one of/],
    ['a numeric userId', 'batch', inBatch(track(), track({ userId: 42 })), 'batch[1].userId', /must be a string/],
    ['an empty anonymousId', 'batch', inBatch(track({ anonymousId: '' })), 'batch[0].anonymousId', /not be empty/],
    ['a 256-character userId', 'batch', inBatch(track({ userId: 'u'.repeat(256) })), 'batch[0].userId', /at most 255/],
    ['a null messageId', 'batch', inBatch(track({ messageId: null })), 'batch[0].messageId', /must be a string/],
    ['no userId nor anonymousId', 'batch', inBatch(track(), { type: 'identify', userId: null, traits: {} }), 'batch[1].userId', /userId or anonymousId is required/],
    ['a track without event', 'batch', inBatch({ type: 'track', userId: 'u' }), 'batch[0].event', /is required/],
    ['an empty event', 'batch', inBatch(track({ event: '' })), 'batch[0].event', /not be empty/],
    ['a 201-character event', 'batch', inBatch(track({ event: 'e'.repeat(201) })), 'batch[0].event', /at most 200/],
    ['a 201-character page name', 'batch', inBatch({ type: 'page', userId: 'u', name: 'n'.repeat(201) }), 'batch[0].name', /at most 200/],
    ['a numeric screen category', 'batch', inBatch({ type: 'screen', userId: 'u', category: 3 }), 'batch[0].category', /must be a string/],
    ['a group without groupId', 'batch', inBatch({ type: 'group', userId: 'u' }), 'batch[0].groupId', /is required/],
    ['an alias with an empty previousId', 'batch', inBatch({ type: 'alias', userId: 'u', previousId: '' }), 'batch[0].previousId', /not be empty/],
    ['properties that are an array', 'batch', inBatch(track({ properties: [1, 2] })), 'batch[0].properties', /JSON object/],
    ['null properties', 'batch', inBatch(track({ properties: null })), 'batch[0].properties', /JSON object/],
    ['traits that are a string', 'batch', inBatch({ type: 'identify', userId: 'u', traits: 'x' }), 'batch[0].traits', /JSON object/],
    ['integrations that are a number', 'batch', inBatch(track({ integrations: 1 })), 'batch[0].integrations', /JSON object/],
    ['a context that is null', 'track', track({ context: null }), 'context', /JSON object/],
    ['a timestamp that is not a date', 'batch', inBatch(track({ timestamp: 'yesterday' })), 'batch[0].timestamp', /ISO 8601/],
    ['a date that is not in the calendar', 'batch', inBatch(track({ timestamp: '2024-02-30T00:00:00Z' })), 'batch[0].timestamp', /ISO 8601/],
    ['February 29th of a common year', 'batch', inBatch(track({ timestamp: '1900-02-29T00:00:00Z' })), 'batch[0].timestamp', /ISO 8601/],
    ['a timestamp without offset', 'batch', inBatch(track({ originalTimestamp: '2024-01-01T00:00:00' })), 'batch[0].originalTimestamp', /ISO 8601/],
    ['a timestamp without seconds', 'batch', inBatch(track({ sentAt: '2024-01-01T00:00Z' })), 'batch[0].sentAt', /ISO 8601/],
    ['a numeric timestamp', 'track', track({ timestamp: 1714564800000 }), 'timestamp', /ISO 8601/],
  ])('refuses %s, naming the field', (_case, call, body, field, rule) => {
    const error = refusal(call as 'batch', body);
    expect(error).toMatchObject({ code: IngestionErrorCode.InvalidRequest, status: 400, field });
    expect(error.message).toMatch(new RegExp(`^${field.replace(/[[\]]/g, '\\$&')}: `));
    expect(error.message).toMatch(rule);
  });

  it('reports the first broken field in the order the zod schema checked them', () => {
    expect(refusal('batch', inBatch(track({ type: 'group', userId: 5, properties: 1, groupId: 7 }))).field).toBe('batch[0].userId');
    expect(refusal('batch', inBatch(track({ event: 5, integrations: 1 }))).field).toBe('batch[0].integrations');
    expect(refusal('batch', inBatch(track({ userId: null, event: 5 }))).field).toBe('batch[0].event');
    expect(refusal('batch', inBatch(track({ event: 5 }), track({ userId: 5 }))).field).toBe('batch[0].event');
  });

  it('counts string lengths in code points, as zod did', () => {
    expect(() => sut('batch', inBatch(track({ userId: '😀'.repeat(255) })))).not.toThrow();
    expect(refusal('batch', inBatch(track({ userId: '😀'.repeat(256) }))).field).toBe('batch[0].userId');
  });

  describe('the 32 KB message limit', () => {
    /** A track message whose JSON is exactly `bytes` long (ASCII padding in a property). */
    const trackOf = (bytes: number) => {
      const message = track({ properties: { pad: '' } });
      return track({ properties: { pad: 'x'.repeat(bytes - Buffer.byteLength(JSON.stringify(message))) } });
    };

    it('takes a message of exactly 32 KB and refuses one byte more, naming the message', () => {
      expect(() => sut('batch', inBatch(track(), trackOf(MAX_MESSAGE_BYTES)))).not.toThrow();
      expect(refusal('batch', inBatch(track(), trackOf(MAX_MESSAGE_BYTES + 1)))).toMatchObject({
        code: IngestionErrorCode.TooLarge,
        status: 400,
        field: 'batch[1]',
        message: 'batch[1]: a message must be at most 32 KB',
      });
    });

    it('measures UTF-8 bytes, not characters', () => {
      const message = track({ properties: { text: 'é'.repeat(16_400) } });
      expect(JSON.stringify(message).length).toBeLessThan(MAX_MESSAGE_BYTES);
      expect(refusal('batch', inBatch(message)).field).toBe('batch[0]');
    });

    it("measures a single call with the endpoint's type added", () => {
      // The body without its type: `{ ...body, type }` is `bytes` long again.
      const body = (bytes: number) => {
        const { type: _type, ...message } = trackOf(bytes);
        return message;
      };
      expect(Buffer.byteLength(JSON.stringify(body(MAX_MESSAGE_BYTES + 1)))).toBeLessThan(MAX_MESSAGE_BYTES);
      expect(() => sut('track', body(MAX_MESSAGE_BYTES))).not.toThrow();
      expect(refusal('track', body(MAX_MESSAGE_BYTES + 1))).toMatchObject({ code: IngestionErrorCode.TooLarge, field: 'body' });
    });

    it('measures the message as re-serialised, where numbers can grow', () => {
      // 1,500 × `1e20` is ~7.5 KB of JSON text but ~33 KB once written out in full.
      const text = `{"batch": [{"type": "track", "userId": "u", "event": "e", "properties": {"n": [${Array(1500).fill('1e20').join(',')}]}}]}`;
      const bodyBytes = Buffer.byteLength(text);
      expect(bodyBytes).toBeLessThan(MAX_MESSAGE_BYTES / 4);
      expect(refusal('batch', JSON.parse(text), bodyBytes)).toMatchObject({ code: IngestionErrorCode.TooLarge, field: 'batch[0]' });
    });

    it('still checks every message when told the body size only', () => {
      expect(refusal('batch', inBatch(track(), trackOf(MAX_MESSAGE_BYTES + 1)), 40_000).field).toBe('batch[1]');
    });

    it('checks the size before the fields of a message', () => {
      expect(refusal('batch', inBatch({ ...trackOf(MAX_MESSAGE_BYTES + 1), type: 'click' })).code).toBe(IngestionErrorCode.TooLarge);
    });
  });
});

/** An object nested `levels` deep (itself level 1) as JSON text, `{"a":{"a":…1}}`: JSON.stringify would throw past a few thousand levels. */
const nestedJson = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
/** The field of the first level past the limit in an object nested under `field`. */
const tooDeepUnder = (field: string) => `${field}${'.a'.repeat(32)}`;

describe('segmentCommands: nesting', () => {
  const deepTrack = (properties: string, extra = '') => `{"type":"track","userId":"u","event":"E","properties":${properties}${extra}}`;
  /** 7 KB of padding, so the body is measured message by message (not taken as small). */
  const padding = `{"type":"track","userId":"u","event":"Pad","properties":{"pad":"${'x'.repeat(7 * 1024)}"}}`;
  const bodyOf = (...messages: string[]) => {
    const text = `{"batch":[${messages.join(',')}]}`;
    return { body: JSON.parse(text) as unknown, bytes: Buffer.byteLength(text) };
  };

  it('takes properties, traits and context nested 32 levels deep, in small and large bodies', () => {
    for (const messages of [[deepTrack(nestedJson(32))], [padding, deepTrack(nestedJson(32))]]) {
      const { body, bytes } = bodyOf(...messages);
      expect(() => sut('batch', body, bytes)).not.toThrow();
    }
    expect(() => sut('identify', { userId: 'u', traits: JSON.parse(nestedJson(32)), context: JSON.parse(nestedJson(32)) })).not.toThrow();
  });

  it.each([
    ['33 levels in a small body', [deepTrack(nestedJson(33))], 'batch[0].properties'],
    ['5,000 levels in a small body', [deepTrack(nestedJson(5000))], 'batch[0].properties'],
    ['5,000 levels in a large body', [padding, deepTrack(nestedJson(5000))], 'batch[1].properties'],
    ['5,000 levels in an unknown field', [padding, deepTrack('{}', `,"extra":${nestedJson(5000)}`)], 'batch[1].extra'],
  ])('refuses properties nested %s, naming the field at the limit', (_case, messages, field) => {
    const { body, bytes } = bodyOf(...(messages as string[]));
    for (const bodyBytes of [bytes, undefined]) {
      const error = refusal('batch', body, bodyBytes);
      expect(error).toMatchObject({ code: IngestionErrorCode.InvalidRequest, status: 400, field: tooDeepUnder(field) });
      expect(error.message).toBe(`${tooDeepUnder(field)}: must not nest objects and arrays more than 32 levels deep`);
    }
  });

  it('refuses deep arrays, traits, context and a batch context, naming each the way other errors name fields', () => {
    const arrays = JSON.parse(`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`) as unknown;
    expect(refusal('track', track({ context: arrays })).field).toBe(`context.a${'[0]'.repeat(31)}`);
    expect(refusal('identify', { userId: 'u', traits: JSON.parse(nestedJson(40)) }).field).toBe(tooDeepUnder('traits'));
    expect(refusal('batch', { batch: [track()], context: JSON.parse(nestedJson(33)) }).field).toBe(tooDeepUnder('context'));
    expect(() => sut('batch', { batch: [track()], context: JSON.parse(nestedJson(32)) })).not.toThrow();
  });
});

describe('segmentCommands: date-times', () => {
  const refusedField = (body: unknown) => refusal('batch', body).field;

  it.each([
    ['timestamp in year 0000', track({ timestamp: '0000-01-01T00:00:00.000Z' }), 'batch[0].timestamp'],
    ['originalTimestamp in year 0000', track({ originalTimestamp: '0000-06-01T00:00:00Z' }), 'batch[0].originalTimestamp'],
    ['sentAt in year 0000', track({ sentAt: '0000-01-01T00:00:00Z' }), 'batch[0].sentAt'],
    ['a year-0001 date an offset moves into year 0000', track({ timestamp: '0001-01-01T00:00:00+01:00' }), 'batch[0].timestamp'],
    ['a year-9999 date an offset moves into year 10000', track({ sentAt: '9999-12-31T23:00:00-02:00' }), 'batch[0].sentAt'],
    ['the last instant before 1900', track({ timestamp: '1899-12-31T23:59:59.999Z' }), 'batch[0].timestamp'],
  ])('refuses %s', (_case, message, field) => {
    const error = refusal('batch', inBatch(message));
    expect(error).toMatchObject({ status: 400, field, message: `${field}: must be from 1900-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z` });
  });

  it('refuses a batch sentAt out of range, naming it', () => {
    expect(refusedField({ sentAt: '0000-01-01T00:00:00Z', batch: [track()] })).toBe('sentAt');
  });

  it('refuses an event time that clock-skew correction moves before 1900 or more than a year ahead, naming the timestamp', () => {
    // Sent "in 9999" about an event of 2024: corrected, the event is 7,975 years before receipt.
    const early = refusal('batch', inBatch(track({ timestamp: '2024-05-01T11:00:00Z', sentAt: '9999-05-01T11:00:00Z' })));
    expect(early.field).toBe('batch[0].timestamp');
    expect(early.message).toMatch(/^batch\[0\]\.timestamp: must not be before 1900-01-01T00:00:00\.000Z \(corrected for the sender's clock with sentAt, it is -005951-/);
    const late = refusal('batch', { sentAt: '1900-01-01T00:00:00Z', batch: [track({ originalTimestamp: '1902-01-01T00:00:00Z' })] });
    expect(late.field).toBe('batch[0].originalTimestamp');
    expect(late.message).toMatch(/more than a year after the request is received/);
  });

  it('refuses an event dated more than a year after receipt, and takes one a year ahead', () => {
    const yearAhead = new Date(receivedAt.getTime() + 365 * 24 * 3600 * 1000);
    expect(sut('batch', inBatch(track({ timestamp: yearAhead.toISOString() })))[0]!.timestamp).toEqual(yearAhead);
    const error = refusal('batch', inBatch(track(), track({ timestamp: new Date(yearAhead.getTime() + 1).toISOString() })));
    expect(error).toMatchObject({ field: 'batch[1].timestamp', message: 'batch[1].timestamp: must not be more than a year after the request is received' });
    expect(refusal('track', track({ timestamp: '9999-12-31T23:59:59Z' })).field).toBe('timestamp');
  });

  it('takes the first instant of 1900, and a device clock reset to 1970 that sentAt corrects', () => {
    expect(sut('batch', inBatch(track({ timestamp: '1900-01-01T00:00:00Z' })))[0]!.timestamp).toEqual(new Date('1900-01-01T00:00:00Z'));
    const [reset] = sut('batch', { sentAt: '1970-01-01T00:10:00Z', batch: [track({ timestamp: '1970-01-01T00:09:00Z' })] });
    expect(reset).toMatchObject({ timestamp: new Date(receivedAt.getTime() - 60_000), sentAt: new Date('1970-01-01T00:10:00Z') });
  });
});
