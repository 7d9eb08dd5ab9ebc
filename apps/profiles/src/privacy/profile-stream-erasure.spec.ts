import { profileMessageErasure } from './profile-stream-erasure.js';

describe('profileMessageErasure', () => {
  const erasedId = '0195f0a0-0000-7000-8000-000000000001';
  const otherId = '0195f0a0-0000-7000-8000-000000000002';
  const projectId = '0195f0a0-0000-7000-8000-0000000000aa';
  const erased = new Set([erasedId]);
  const message = (what: string, body: unknown) => ({ subject: `profiles.${projectId}.${what}`, projectId, what, text: typeof body === 'string' ? body : JSON.stringify(body) });

  it("deletes the erased profile's snapshots and keeps other profiles' ones, even when their properties name the id", () => {
    expect(profileMessageErasure(erased, message('changed', { profileId: erasedId, contact: { email: 'ada@example.com' } }))).toBe('delete');
    expect(profileMessageErasure(erased, message('changed', { profileId: otherId, properties: { referredBy: erasedId } }))).toBe('keep');
    expect(profileMessageErasure(erased, message('changed', { profileId: otherId }))).toBe('keep');
  });

  it('decides a snapshot that does not parse by its text, as the other kinds', () => {
    expect(profileMessageErasure(erased, message('changed', `{"profileId":"${erasedId}",`))).toBe('delete');
    expect(profileMessageErasure(erased, message('identified', { profileId: erasedId, userId: 'u', anonymousIds: [] }))).toBe('delete');
    expect(profileMessageErasure(erased, message('created', { profileId: otherId, externalId: null }))).toBe('keep');
  });

  it('keeps ProfileDeleted and the messages of projects with no erasure', () => {
    expect(profileMessageErasure(erased, message('deleted', { profileId: erasedId }))).toBe('keep');
    expect(profileMessageErasure(undefined, message('changed', { profileId: erasedId }))).toBe('keep');
  });
});
