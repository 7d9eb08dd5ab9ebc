import { registerEnumType } from '@nestjs/graphql';

export enum InAppLayout {
  BANNER = 'banner',
  MODAL = 'modal',
  FULL_SCREEN = 'full_screen',
}
registerEnumType(InAppLayout, { name: 'InAppLayout', description: 'How the client shows an in-app message.' });

export interface InAppButton {
  label: string;
  /** Where the button leads: an https URL or an app deep link (`myapp://orders/42`). */
  deepLink: string;
}

/** What an IN_APP campaign shows (stored on the campaign, copied into each profile's message). */
export interface InAppContent {
  title: string;
  body: string;
  imageUrl: string | null;
  layout: InAppLayout;
  buttons: InAppButton[];
  /** Flat key-value data for the client (strings, numbers, booleans). */
  custom: Record<string, string | number | boolean>;
  /** A message is no longer shown this many hours after it was created; null: never expires. */
  expiresInHours: number | null;
}

/** Schemes a deep link may not use: they run code or embed content in the client. */
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:']);
export const MAX_CUSTOM_KEYS = 50;
const MAX_CUSTOM_VALUE_LENGTH = 1000;

/** The rules of in-app content class-validator cannot state; returns [field suffix, rule] of the first broken one. */
export function inAppContentProblem(content: InAppContent): [string, string] | null {
  if (content.imageUrl !== null) {
    const image = parseUrl(content.imageUrl);
    if (!image || image.protocol !== 'https:') return ['imageUrl', 'must be an https URL'];
  }
  for (const [index, button] of content.buttons.entries()) {
    const link = parseUrl(button.deepLink);
    if (!link || !/^[a-z][a-z0-9+.-]*:$/.test(link.protocol)) return [`buttons[${index}].deepLink`, 'must be a URL or an app deep link (scheme://path)'];
    if (FORBIDDEN_SCHEMES.has(link.protocol) || link.protocol === 'http:') return [`buttons[${index}].deepLink`, `the ${link.protocol} scheme is not allowed (use https or the app's own scheme)`];
  }
  if (typeof content.custom !== 'object' || content.custom === null || Array.isArray(content.custom)) return ['custom', 'must be an object of keys to strings, numbers or booleans'];
  const entries = Object.entries(content.custom);
  if (entries.length > MAX_CUSTOM_KEYS) return ['custom', `at most ${MAX_CUSTOM_KEYS} keys`];
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > 100) return [`custom.${key}`, 'keys are 1–100 characters'];
    if (!['string', 'number', 'boolean'].includes(typeof value)) return [`custom.${key}`, 'must be a string, a number or a boolean'];
    if (typeof value === 'string' && value.length > MAX_CUSTOM_VALUE_LENGTH) return [`custom.${key}`, `at most ${MAX_CUSTOM_VALUE_LENGTH} characters`];
    if (typeof value === 'number' && !Number.isFinite(value)) return [`custom.${key}`, 'must be a finite number'];
  }
  return null;
}

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}
