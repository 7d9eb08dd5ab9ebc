import { ContractViolationError, EventIngested, SubjectNamer, validateMessage } from './index.js';

const projectId = '3f2b8c1e-5d4a-4b7e-9a1f-2c3d4e5f6a7b';

describe('contracts', () => {
  const sut = new SubjectNamer('t1.');

  it('names subjects <prefix><domain>.<project>.<what> and parses them back', () => {
    const subject = sut.subject(EventIngested, projectId);
    expect(subject).toBe(`t1.events.${projectId}.ingested`);
    expect(sut.parse(subject)).toEqual({ domain: 'events', projectId, what: 'ingested' });
    expect(sut.filter(EventIngested)).toBe('t1.events.*.ingested');
    expect(sut.streamName('events')).toBe('T1_EVENTS');
  });

  it('refuses a prefix that would break subject tokens', () => {
    expect(() => new SubjectNamer('bad prefix')).toThrow(/prefix/);
  });

  it('validates bodies and names the offending fields', () => {
    const valid = {
      projectId,
      occurredAt: new Date().toISOString(),
      eventId: '8a7b6c5d-4e3f-4a1b-8c9d-0e1f2a3b4c5d',
      messageId: 'm-1',
      profileId: null,
      name: 'Order Placed',
      timestamp: new Date().toISOString(),
      properties: { total: 12 },
    };
    expect(validateMessage(EventIngested, 's', valid).name).toBe('Order Placed');
    try {
      validateMessage(EventIngested, 's', { ...valid, name: '', eventId: 'nope' });
      throw new Error('expected a violation');
    } catch (error) {
      expect(error).toBeInstanceOf(ContractViolationError);
      expect((error as Error).message).toMatch(/eventId/);
      expect((error as Error).message).toMatch(/name/);
    }
  });
});
