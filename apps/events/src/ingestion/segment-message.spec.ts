import { Buffer } from 'node:buffer';
import { IngestionError, IngestionErrorCode } from './ingestion.errors.js';
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
        track({ timestamp: '2024-02-29T23:59:59.123456Z', sentAt: '2000-02-29T00:00:00-23:59', originalTimestamp: '1999-12-31T00:00:00+14:00' }),
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
