import { isUUID } from 'class-validator';
import type { ClientIdentity } from '../presence/connected-clients.js';
import type { CallBranding } from './call-view.js';
import { CallError, CallErrorCode, invalidInput } from './call.errors.js';

export interface CallIdentityInput {
  displayName?: string | null;
  role?: string | null;
  avatarUrl?: string | null;
}

export interface CallBrandingInput {
  brandName?: string | null;
  logoUrl?: string | null;
  backgroundColor?: string | null;
  fontColor?: string | null;
  buttonColor?: string | null;
}

/** What placing a call takes, from the gateway or from signalling (the caller comes separately). */
export interface PlaceCallCommand {
  calleeProfileId: string;
  reason: string;
  reference?: string | null;
  metadata?: Record<string, unknown> | null;
  branding?: CallBrandingInput | null;
  callerIdentity?: CallIdentityInput | null;
  calleeIdentity?: CallIdentityInput | null;
  ringTimeoutSeconds?: number | null;
}

export interface ValidPlaceCall {
  calleeProfileId: string;
  reason: string;
  reference: string | null;
  metadata: Record<string, unknown>;
  branding: CallBranding | null;
  callerIdentity: ClientIdentity | undefined;
  calleeIdentity: ClientIdentity | undefined;
  ringTimeoutSeconds: number | null;
}

export const MAX_METADATA_BYTES = 4096;
export const MAX_RING_TIMEOUT_SECONDS = 300;
const COLOUR = /^#[0-9a-fA-F]{6}$/;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function text(value: unknown, field: string, max: number, { required = false } = {}): string | null {
  if (value === undefined || value === null) {
    if (required) throw invalidInput(field, `${field} is required`);
    return null;
  }
  if (typeof value !== 'string') throw invalidInput(field, `${field} must be a string`);
  if (value.trim().length === 0) throw invalidInput(field, `${field} should not be empty`);
  if (value.length > max) throw invalidInput(field, `${field} must be shorter than or equal to ${max} characters`);
  return value;
}

function url(value: unknown, field: string): string | null {
  const raw = text(value, field, 2048);
  if (raw === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw invalidInput(field, `${field} must be an http(s) URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw invalidInput(field, `${field} must be an http(s) URL`);
  return raw;
}

function colour(value: unknown, field: string): string | null {
  const raw = text(value, field, 7);
  if (raw !== null && !COLOUR.test(raw)) throw invalidInput(field, `${field} must be a colour as #rrggbb`);
  return raw;
}

const EMAIL_LIKE = /[^\s@]+@[^\s@]+\.[^\s@]+/;
const PHONE_LIKE = /\+?\d(?:[\s().-]*\d){6,}/;

/** Masked identities are shown to the other side: they must not smuggle in contact details. */
function maskedText(value: unknown, field: string): string | null {
  const raw = text(value, field, 64);
  if (raw !== null && (EMAIL_LIKE.test(raw) || PHONE_LIKE.test(raw))) throw invalidInput(field, `${field} must not contain an email address or phone number`);
  return raw;
}

export function validIdentity(value: CallIdentityInput | null | undefined, field: string): ClientIdentity | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidInput(field, `${field} must be an object`);
  const identity: ClientIdentity = {};
  const displayName = maskedText(value.displayName, `${field}.displayName`);
  const role = maskedText(value.role, `${field}.role`);
  const avatarUrl = url(value.avatarUrl, `${field}.avatarUrl`);
  if (displayName !== null) identity.displayName = displayName;
  if (role !== null) identity.role = role;
  if (avatarUrl !== null) identity.avatarUrl = avatarUrl;
  return identity;
}

function validBranding(value: CallBrandingInput | null | undefined, field: string): CallBranding | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw invalidInput(field, `${field} must be an object`);
  return {
    brandName: text(value.brandName, `${field}.brandName`, 64),
    logoUrl: url(value.logoUrl, `${field}.logoUrl`),
    backgroundColor: colour(value.backgroundColor, `${field}.backgroundColor`),
    fontColor: colour(value.fontColor, `${field}.fontColor`),
    buttonColor: colour(value.buttonColor, `${field}.buttonColor`),
  };
}

export function validProfileId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !isUUID(value)) throw new CallError(CallErrorCode.InvalidProfileId, `Invalid value for ${field}: ${field} must be a UUID`, field);
  return value;
}

/**
 * The domain's own check of a place request (signalling calls the service without the GraphQL
 * argument pipe): every error names `input.<field>` and the rule, before anything is written.
 */
export function validatePlaceCall(callerProfileId: string, input: PlaceCallCommand, prefix = 'input'): ValidPlaceCall {
  if (!isObject(input)) throw invalidInput(prefix, `${prefix} must be an object`);
  validProfileId(callerProfileId, `${prefix}.callerProfileId`);
  const calleeProfileId = validProfileId(input.calleeProfileId, `${prefix}.calleeProfileId`);
  if (calleeProfileId === callerProfileId) {
    throw new CallError(CallErrorCode.CallerIsCallee, `Invalid value for ${prefix}.calleeProfileId: a profile cannot call itself`, `${prefix}.calleeProfileId`);
  }
  const metadataField = `${prefix}.metadata`;
  const metadata = input.metadata ?? {};
  if (!isObject(metadata)) throw invalidInput(metadataField, `${metadataField} must be a JSON object`);
  if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) {
    throw invalidInput(metadataField, `${metadataField} must be at most ${MAX_METADATA_BYTES} bytes as JSON`);
  }
  const ringField = `${prefix}.ringTimeoutSeconds`;
  const ring = input.ringTimeoutSeconds ?? null;
  if (ring !== null && (!Number.isInteger(ring) || ring < 1 || ring > MAX_RING_TIMEOUT_SECONDS)) {
    throw invalidInput(ringField, `${ringField} must be a whole number from 1 to ${MAX_RING_TIMEOUT_SECONDS}`);
  }
  return {
    calleeProfileId,
    reason: text(input.reason, `${prefix}.reason`, 64, { required: true })!,
    reference: text(input.reference, `${prefix}.reference`, 128),
    metadata,
    branding: validBranding(input.branding, `${prefix}.branding`),
    callerIdentity: validIdentity(input.callerIdentity, `${prefix}.callerIdentity`),
    calleeIdentity: validIdentity(input.calleeIdentity, `${prefix}.calleeIdentity`),
    ringTimeoutSeconds: ring,
  };
}

const REPORT_KIND = /^[A-Za-z0-9_.:-]{1,64}$/;

/** A client report: a short machine-readable kind (e.g. `microphone-denied`) and optional detail. */
export function validateReport(report: { kind: unknown; detail?: unknown }, prefix = ''): { kind: string; detail: string | null } {
  const at = (name: string) => (prefix ? `${prefix}.${name}` : name);
  if (typeof report?.kind !== 'string' || !REPORT_KIND.test(report.kind)) {
    throw invalidInput(at('kind'), `${at('kind')} must be 1 to 64 letters, digits or _ . : -`);
  }
  return { kind: report.kind, detail: text(report.detail, at('detail'), 500) };
}
