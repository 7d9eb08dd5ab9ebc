/**
 * What an SMTP attempt's error means for the send: `retry` (4xx, no answer, connection lost or
 * refused, authentication: the project can fix its settings) with backoff, or `reject` (5xx: the
 * server refused this message or recipient for good; no retry). A recipient refused with 5xx is
 * a synchronous hard bounce.
 */
export type SmtpOutcome = { kind: 'retry'; detail: string } | { kind: 'reject'; detail: string; hardBounce: boolean };

interface SmtpError {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  message?: string;
  rejected?: unknown[];
}

export function classifySmtpError(error: unknown): SmtpOutcome {
  const smtp = error as SmtpError;
  const detail = (smtp.response ?? smtp.message ?? String(error)).slice(0, 500);
  const status = smtp.responseCode;
  if (status !== undefined && status >= 500 && status < 600 && smtp.code !== 'EAUTH') {
    const hardBounce = smtp.code === 'EENVELOPE' || /^RCPT/i.test(smtp.command ?? '') || (smtp.rejected?.length ?? 0) > 0;
    return { kind: 'reject', detail, hardBounce };
  }
  return { kind: 'retry', detail };
}

/** Delay before attempt `attempt + 1`: base doubling per attempt, capped. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}
