import { fieldBlocks } from './delivery-status.js';

/** What an ARF report (RFC 5965 `message/feedback-report`) says of the message it is about. */
export interface FeedbackReport {
  /** abuse, fraud, virus, other (a complaint) or not-spam (none), lower-cased. */
  feedbackType: string;
  userAgent: string | null;
}

/** The feedback-report part's fields, or null without a Feedback-Type. */
export function parseFeedbackReport(body: string): FeedbackReport | null {
  const fields = fieldBlocks(body)[0];
  const feedbackType = fields?.get('feedback-type')?.toLowerCase();
  if (!fields || !feedbackType) return null;
  return { feedbackType, userAgent: fields.get('user-agent') ?? null };
}

/** Whether a report of this type is a recipient's complaint (every type but `not-spam`, RFC 5965 §7.3 and RFC 6650). */
export const isComplaint = (report: FeedbackReport): boolean => report.feedbackType !== 'not-spam';

/**
 * The unsubscribe tokens in a report's copy of the original message (its List-Unsubscribe header:
 * `mailto:u+<token>@…` and `…/t/u/<token>`), each once. Feedback loops send the original message or
 * its headers with the report (and often redact the recipient); a token verified against the
 * signing key is what names the send, so a report cannot be made up for a send one never received.
 */
export function unsubscribeTokensIn(text: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(/(?:\bu\+|\/t\/u\/)([A-Za-z0-9_-]{20,100})(?![A-Za-z0-9_-])/g)) found.add(match[1]!);
  return [...found];
}
