import { isComplaint, parseFeedbackReport, unsubscribeTokensIn } from './feedback-report.js';

describe('ARF feedback reports', () => {
  it('reads the feedback type and user agent; not-spam is no complaint', () => {
    const body = ['Feedback-Type: Abuse', 'User-Agent: Yahoo!-Mail-Feedback/2.0', 'Version: 1', 'Original-Rcpt-To: redacted@yahoo.example', ''].join('\r\n');
    const report = parseFeedbackReport(body)!;
    expect(report).toEqual({ feedbackType: 'abuse', userAgent: 'Yahoo!-Mail-Feedback/2.0' });
    expect(isComplaint(report)).toBe(true);
    expect(isComplaint(parseFeedbackReport('Feedback-Type: not-spam\r\n')!)).toBe(false);
    expect(parseFeedbackReport('Version: 1\r\n')).toBeNull();
  });

  it('finds the unsubscribe tokens of a folded List-Unsubscribe header, each once', () => {
    const token = 'Q'.repeat(47);
    const headers = [
      'From: Shop <news@brand.example>',
      `List-Unsubscribe: <https://t.example/t/u/${token}>,`,
      ` <mailto:u+${token}@bounces.example?subject=unsubscribe>`,
      `X-Other: u+short@x.example, /t/u/${'A'.repeat(101)}`,
    ].join('\r\n');
    expect(unsubscribeTokensIn(headers)).toEqual([token]);
  });
});
