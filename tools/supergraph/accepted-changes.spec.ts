import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAcceptedChanges, partitionBreaking } from './accepted-changes.js';

describe('accepted breaking changes', () => {
  const directory = mkdtempSync(join(tmpdir(), 'accepted-changes-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const listFile = (entries: unknown) => {
    const path = join(directory, `${Math.random()}.json`);
    writeFileSync(path, JSON.stringify(entries));
    return path;
  };

  it('passes the listed changes with their reasons and keeps the others', () => {
    const reason = 'contributed by segments, so nullable when it does not answer';
    const sut = partitionBreaking(
      [
        { type: 'FIELD_CHANGED_KIND', description: 'Profile.segments changed type from [Segment!]! to [Segment!].' },
        { type: 'FIELD_REMOVED', description: 'Profile.email was removed.' },
      ],
      loadAcceptedChanges(listFile([{ change: '[FIELD_CHANGED_KIND] Profile.segments changed type from [Segment!]! to [Segment!].', reason }])),
    );
    expect(sut).toEqual({
      accepted: [{ change: '[FIELD_CHANGED_KIND] Profile.segments changed type from [Segment!]! to [Segment!].', reason }],
      unaccepted: ['[FIELD_REMOVED] Profile.email was removed.'],
    });
  });

  it('accepts nothing without a list', () => {
    expect(loadAcceptedChanges(join(directory, 'absent.json'))).toEqual([]);
  });

  it('refuses entries without a reason or not written as the check prints changes', () => {
    expect(() => loadAcceptedChanges(listFile([{ change: '[FIELD_REMOVED] Profile.email was removed.', reason: 'ok' }]))).toThrow(/0\.reason: must say why/);
    expect(() => loadAcceptedChanges(listFile([{ change: 'Profile.email was removed.', reason: 'clients never read it, measured over 90 days' }]))).toThrow(/0\.change: must read/);
  });
});
