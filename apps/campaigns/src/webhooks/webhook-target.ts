import { randomBytes } from 'node:crypto';

/** Where a WEBHOOK campaign POSTs, and the key it signs with (Standard Webhooks `whsec_<base64>`). */
export interface WebhookTarget {
  url: string;
  secret: string;
  /** JSON object sent as `data.custom`. */
  custom: Record<string, string | number | boolean | null | object>;
}

const MAX_CUSTOM_BYTES = 16_384;

/** A new signing secret: 32 random bytes, as Standard Webhooks writes them. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/** The rules of a webhook target class-validator cannot state; returns [field suffix, rule] of the first broken one. */
export function webhookTargetProblem(url: string, custom: unknown): [string, string] | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return ['url', 'must be an absolute http or https URL'];
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return ['url', 'must be an http or https URL'];
  if (parsed.username || parsed.password) return ['url', 'must not carry credentials (the payload is signed instead)'];
  if (custom !== null && custom !== undefined) {
    if (typeof custom !== 'object' || Array.isArray(custom)) return ['custom', 'must be a JSON object'];
    if (Buffer.byteLength(JSON.stringify(custom)) > MAX_CUSTOM_BYTES) return ['custom', `at most ${MAX_CUSTOM_BYTES} bytes of JSON`];
  }
  return null;
}
