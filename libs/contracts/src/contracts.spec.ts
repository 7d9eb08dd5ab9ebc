import { ContractViolationError, EventsIngested, SubjectNamer, validateMessage } from './index.js';

const projectId = '3f2b8c1e-5d4a-4b7e-9a1f-2c3d4e5f6a7b';

describe('contracts', () => {
  const sut = new SubjectNamer('t1.');

  it('names subjects <prefix><domain>.<project>.<what> and parses them back', () => {
    const subject = sut.subject(EventsIngested, projectId);
    expect(subject).toBe(`t1.events.${projectId}.ingested`);
    expect(sut.parse(subject)).toEqual({ domain: 'events', projectId, what: 'ingested' });
    expect(sut.filter(EventsIngested)).toBe('t1.events.*.ingested');
    expect(sut.streamName('events')).toBe('T1_EVENTS');
  });

  it('refuses a prefix that would break subject tokens', () => {
    expect(() => new SubjectNamer('bad prefix')).toThrow(/prefix/);
  });

  it('validates bodies and names the offending fields', () => {
    const event = {
      eventId: '8a7b6c5d-4e3f-4a1b-8c9d-0e1f2a3b4c5d',
      messageId: 'm-1',
      profileId: null,
      name: 'Order Placed',
      timestamp: new Date().toISOString(),
      properties: { total: 12 },
    };
    const valid = { projectId, occurredAt: new Date().toISOString(), events: [event] };
    expect(validateMessage(EventsIngested, 's', valid).events[0]!.name).toBe('Order Placed');
    try {
      validateMessage(EventsIngested, 's', { ...valid, events: [event, { ...event, name: '', eventId: 'nope' }] });
      throw new Error('expected a violation');
    } catch (error) {
      expect(error).toBeInstanceOf(ContractViolationError);
      expect((error as Error).message).toMatch(/events\.1\.eventId/);
      expect((error as Error).message).toMatch(/events\.1\.name/);
    }
  });
});
