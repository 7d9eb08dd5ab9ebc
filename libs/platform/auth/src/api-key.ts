import { createHash, randomBytes } from 'node:crypto';

export type KeyKind = 'publishable' | 'secret';

const PREFIX: Record<KeyKind, string> = { publishable: 'pk_', secret: 'sk_' };

/** A new key: shown once to the caller, stored only as its hash. */
export function generateApiKey(kind: KeyKind, random = randomBytes): { key: string; hash: string; hint: string } {
  const key = `${PREFIX[kind]}${random(24).toString('base64url')}`;
  return { key, hash: hashApiKey(key), hint: `${key.slice(0, 7)}…${key.slice(-4)}` };
}

/** Keys are long random strings, so a plain SHA-256 is a sufficient at-rest hash. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function keyKindOf(key: string): KeyKind | undefined {
  if (key.startsWith('pk_')) return 'publishable';
  if (key.startsWith('sk_')) return 'secret';
  return undefined;
}
