import { bounceTypeOf, parseDeliveryStatus } from './delivery-status.js';

describe('parseDeliveryStatus', () => {
  it('reads each recipient block of a Postfix DSN, folded lines included', () => {
    const body = [
      'Reporting-MTA: dns; mail.boomerang.test',
      'X-Postfix-Queue-ID: 4F1A2',
      'Arrival-Date: Tue,  1 Dec 2026 10:00:00 +0000 (UTC)',
      '',
      'Final-Recipient: rfc822; nosuchuser@boomerang.test',
      'Original-Recipient: rfc822;nosuchuser@boomerang.test',
      'Action: failed',
      'Status: 5.1.1',
      'Diagnostic-Code: X-Postfix; unknown user:',
      '    "nosuchuser"',
      '',
      'Final-Recipient: rfc822; slow@boomerang.test',
      'Action: delayed',
      'Status: 4.4.1',
      '',
    ].join('\r\n');
    const sut = parseDeliveryStatus(body);
    expect(sut).toEqual([
      { recipient: 'nosuchuser@boomerang.test', action: 'failed', status: '5.1.1', diagnostic: 'X-Postfix; unknown user: "nosuchuser"' },
      { recipient: 'slow@boomerang.test', action: 'delayed', status: '4.4.1', diagnostic: null },
    ]);
    expect(sut.map(bounceTypeOf)).toEqual(['hard', null]);
    expect(bounceTypeOf({ action: 'failed', status: '4.2.2' })).toBe('soft');
  });
});
