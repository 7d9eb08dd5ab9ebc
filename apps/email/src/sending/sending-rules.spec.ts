import { DomainThrottle } from './domain-throttle.js';
import { skipReason } from './send-eligibility.js';
import { classifySmtpError, retryDelayMs } from './smtp-outcome.js';

describe('skipReason', () => {
  const subscribed = { email: 'a@example.com', emailSubscribed: true };
  it.each([
    [{ profile: null, suppressed: false, consentRequired: false }, 'NO_PROFILE'],
    [{ profile: { email: null, emailSubscribed: true }, suppressed: false, consentRequired: false }, 'NO_EMAIL'],
    [{ profile: { ...subscribed, emailSubscribed: false }, suppressed: false, consentRequired: false }, 'UNSUBSCRIBED'],
    [{ profile: { ...subscribed, emailSubscribed: null }, suppressed: false, consentRequired: true }, 'NO_CONSENT'],
    [{ profile: { ...subscribed, emailSubscribed: null }, suppressed: false, consentRequired: false }, null],
    [{ profile: subscribed, suppressed: true, consentRequired: false }, 'SUPPRESSED'],
    [{ profile: subscribed, suppressed: false, consentRequired: true }, null],
  ])('%j → %s', (facts, reason) => {
    expect(skipReason(facts)).toBe(reason);
  });
});

describe('classifySmtpError', () => {
  it('retries 4xx and lost connections, rejects 5xx, and calls a refused recipient a hard bounce', () => {
    expect(classifySmtpError({ responseCode: 451, response: '451 4.3.0 try later' })).toEqual({ kind: 'retry', detail: '451 4.3.0 try later' });
    expect(classifySmtpError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }).kind).toBe('retry');
    expect(classifySmtpError({ code: 'EAUTH', responseCode: 535, response: '535 bad auth' }).kind).toBe('retry');
    expect(classifySmtpError({ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO', response: '550 5.1.1 no such user' })).toEqual({
      kind: 'reject',
      detail: '550 5.1.1 no such user',
      hardBounce: true,
    });
    expect(classifySmtpError({ code: 'EMESSAGE', responseCode: 554, command: 'DATA', response: '554 spam' })).toMatchObject({ kind: 'reject', hardBounce: false });
  });

  it('backs off exponentially to a cap', () => {
    expect([1, 2, 3, 4, 10].map((attempt) => retryDelayMs(attempt, 100, 1_000))).toEqual([100, 200, 400, 800, 1_000]);
  });
});

describe('DomainThrottle', () => {
  it('holds concurrency per domain and spaces starts, other domains unaffected', async () => {
    const sut = new DomainThrottle({ perSecond: 50, concurrent: 2 });
    const started: number[] = [];
    const t0 = Date.now();
    let inFlight = 0;
    let maxInFlight = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        const release = await sut.acquire('a.example');
        started.push(Date.now() - t0);
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 50));
        inFlight--;
        release();
      }),
    );
    expect(maxInFlight).toBe(2);
    // Six starts at 50/s take at least 5 × 20 ms.
    expect(Math.max(...started)).toBeGreaterThanOrEqual(95);
    const other = Date.now();
    (await sut.acquire('b.example'))();
    expect(Date.now() - other).toBeLessThan(15);
  });
});
