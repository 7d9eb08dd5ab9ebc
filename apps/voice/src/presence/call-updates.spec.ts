import type { CallUpdate } from './call-updates.js';
import { CallUpdates } from './call-updates.js';

const muted = (profileId: string, projectId = 'p1'): CallUpdate => ({ kind: 'REMOTE_MUTED', projectId, profileId, callId: 'c1', muted: true });

describe('CallUpdates', () => {
  let sut: CallUpdates;
  beforeEach(() => (sut = new CallUpdates()));

  it('delivers updates to the subscribed profile only, in order, also when published before reading', async () => {
    const ann = sut.subscribe('p1', 'ann');
    const bob = sut.subscribe('p1', 'bob');
    const annElsewhere = sut.subscribe('p2', 'ann');
    sut.publish(muted('ann'));
    sut.publish({ ...muted('ann'), muted: false } as CallUpdate);
    expect((await ann.next()).value).toMatchObject({ muted: true });
    expect((await ann.next()).value).toMatchObject({ muted: false });
    const pending = bob.next();
    sut.publish(muted('bob'));
    expect((await pending).value).toMatchObject({ profileId: 'bob' });
    let otherProjectGotOne = false;
    void annElsewhere.next().then((result) => (otherProjectGotOne = !result.done));
    await annElsewhere.return();
    expect(otherProjectGotOne).toBe(false);
  });

  it('ends a waiting reader on return() and stops delivering to it', async () => {
    const ann = sut.subscribe('p1', 'ann');
    const pending = ann.next();
    await ann.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    sut.publish(muted('ann'));
    expect(await ann.next()).toEqual({ value: undefined, done: true });
  });

  it('works with for await and calls terminal listeners until they unsubscribe', async () => {
    const seen: string[] = [];
    const stop = sut.onTerminal((projectId, callId) => seen.push(`${projectId}:${callId}`));
    sut.onTerminal(() => {
      throw new Error('a broken listener');
    });
    sut.announceTerminal('p1', 'c1');
    stop();
    sut.announceTerminal('p1', 'c2');
    expect(seen).toEqual(['p1:c1']);

    const stream = sut.subscribe('p1', 'ann');
    sut.publish(muted('ann'));
    for await (const update of stream) {
      expect(update.kind).toBe('REMOTE_MUTED');
      break;
    }
    sut.publish(muted('ann'));
    expect((await stream.next()).done).toBe(true);
  });
});
