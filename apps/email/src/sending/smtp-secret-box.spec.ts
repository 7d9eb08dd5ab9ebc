import { SmtpSecretBox } from './smtp-secret-box.js';

describe('SmtpSecretBox', () => {
  const sut = new SmtpSecretBox('a-signing-secret-that-is-long-enough-123');
  const projectId = '3f2b8c1e-5d4a-4b7e-9a1f-2c3d4e5f6a7b';
  const url = 'smtp://user:p%40ss@mail.example.com:587';

  it('opens what it sealed, and never shows the URL in the sealed form', () => {
    const sealed = sut.seal(projectId, url);
    expect(sealed).not.toContain('p%40ss');
    expect(sealed).not.toContain('mail.example.com');
    expect(sut.open(projectId, sealed)).toBe(url);
    expect(sut.seal(projectId, url)).not.toBe(sealed);
  });

  it('refuses another project, another secret, and an altered value', () => {
    const sealed = sut.seal(projectId, url);
    expect(() => sut.open('8a7b6c5d-4e3f-4a1b-8c9d-0e1f2a3b4c5d', sealed)).toThrow();
    expect(() => new SmtpSecretBox('another-signing-secret-long-enough-4567').open(projectId, sealed)).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('smtp://evil@x').toString('base64url');
    expect(() => sut.open(projectId, parts.join('.'))).toThrow();
  });
});
