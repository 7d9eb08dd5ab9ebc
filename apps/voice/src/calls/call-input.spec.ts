import { randomUUID } from 'node:crypto';
import { MAX_METADATA_BYTES, validatePlaceCall, validateReport } from './call-input.js';

const caller = randomUUID();
const valid = { calleeProfileId: randomUUID(), reason: 'Your parcel' };
const fieldOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    return (error as { field?: string }).field;
  }
  return undefined;
};

describe('validatePlaceCall', () => {
  it('normalises a minimal request', () => {
    expect(validatePlaceCall(caller, valid)).toEqual({
      ...valid,
      reference: null,
      metadata: {},
      branding: null,
      callerIdentity: undefined,
      calleeIdentity: undefined,
      ringTimeoutSeconds: null,
    });
  });

  it('accepts the limits themselves', () => {
    const metadata = { pad: 'x'.repeat(MAX_METADATA_BYTES - JSON.stringify({ pad: '' }).length) };
    expect(Buffer.byteLength(JSON.stringify(metadata))).toBe(MAX_METADATA_BYTES);
    const result = validatePlaceCall(caller, {
      ...valid,
      reason: 'r'.repeat(64),
      reference: 'o'.repeat(128),
      metadata,
      ringTimeoutSeconds: 300,
      branding: { backgroundColor: '#A0b1C2', logoUrl: 'https://brand.example/logo.svg' },
      calleeIdentity: { displayName: 'Order 12345', role: 'Support agent' },
    });
    expect(result.branding).toEqual({ brandName: null, logoUrl: 'https://brand.example/logo.svg', backgroundColor: '#A0b1C2', fontColor: null, buttonColor: null });
    expect(result.calleeIdentity).toEqual({ displayName: 'Order 12345', role: 'Support agent' });
  });

  it.each([
    [{ metadata: { pad: 'x'.repeat(MAX_METADATA_BYTES) } }, 'input.metadata'],
    [{ branding: { fontColor: '#fff' } }, 'input.branding.fontColor'],
    [{ branding: { buttonColor: '#gggggg' } }, 'input.branding.buttonColor'],
    [{ callerIdentity: { displayName: 'ravi@fleet.example' } }, 'input.callerIdentity.displayName'],
    [{ callerIdentity: { displayName: 'Ravi +91 98765 43210' } }, 'input.callerIdentity.displayName'],
    [{ calleeIdentity: { role: 'call (415) 555-0123' } }, 'input.calleeIdentity.role'],
    [{ calleeIdentity: { avatarUrl: 'data:image/png;base64,AAAA' } }, 'input.calleeIdentity.avatarUrl'],
    [{ ringTimeoutSeconds: 1.5 }, 'input.ringTimeoutSeconds'],
    [{ reason: undefined }, 'input.reason'],
  ])('refuses %j naming %s', (change, field) => {
    expect(fieldOf(() => validatePlaceCall(caller, { ...valid, ...change } as never))).toBe(field);
  });

  it('refuses a caller calling itself and ids that are not UUIDs', () => {
    expect(fieldOf(() => validatePlaceCall(caller, { ...valid, calleeProfileId: caller }))).toBe('input.calleeProfileId');
    expect(fieldOf(() => validatePlaceCall('someone', valid))).toBe('input.callerProfileId');
  });
});

describe('validateReport', () => {
  it('takes short machine-readable kinds and optional detail', () => {
    expect(validateReport({ kind: 'microphone-denied' })).toEqual({ kind: 'microphone-denied', detail: null });
    expect(validateReport({ kind: 'ice:failed', detail: 'after 30 s' })).toEqual({ kind: 'ice:failed', detail: 'after 30 s' });
    expect(fieldOf(() => validateReport({ kind: 'k'.repeat(65) }))).toBe('kind');
    expect(fieldOf(() => validateReport({ kind: 'ok', detail: 'd'.repeat(501) }, 'input'))).toBe('input.detail');
  });
});
