import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * Seals SMTP URLs (they carry credentials) at rest: AES-256-GCM under a key derived per project
 * (HKDF-SHA256) from the internal signing secret, the project id as associated data so a sealed
 * value moved to another project does not open. Sealed form: `v1.<iv>.<tag>.<ciphertext>` (base64url).
 */
export class SmtpSecretBox {
  constructor(private readonly secret: string) {}

  seal(projectId: string, plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keyOf(projectId), iv);
    cipher.setAAD(Buffer.from(projectId));
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), sealed].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  /** Throws when the value was not sealed for this project with this secret, or was altered. */
  open(projectId: string, sealed: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || data === undefined) throw new Error('not a sealed SMTP URL');
    const decipher = createDecipheriv('aes-256-gcm', this.keyOf(projectId), Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(projectId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }

  private keyOf(projectId: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.secret, projectId, 'boomerang email smtp url', 32));
  }
}
