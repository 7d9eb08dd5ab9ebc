import { leavesOf, matchesWithoutHits, type BehaviourLeaf, type Rule } from '@boomerang/audience';
import type { StoredLeaf } from './leaf-catalog.js';
import type { LeafScan } from './leaf-scan.js';
import { scannedMembers } from './segment-computation.js';

const stored = (rule: Rule, index: number): StoredLeaf => {
  const leaf = leavesOf(rule)[0]!;
  return {
    id: `leaf-${index}`,
    leaf,
    status: 'backfilling',
    matchesWithoutHits: leaf.kind === 'event' ? matchesWithoutHits(leaf as BehaviourLeaf) : false,
    recentFromMs: null,
    dedupeUntilMs: null,
    spec: null,
  };
};

describe('scannedMembers: a tree answered from a scan’s masks', () => {
  const thrice: Rule = { event: { name: 'Charged', count: { atLeast: 3 } } };
  const big: Rule = { event: { name: 'Charged', aggregate: { fn: 'sum', property: 'Amount', op: 'gt', value: 500 } } };
  const refunded: Rule = { event: { name: 'Refunded' } };
  const atMostTwice: Rule = { event: { name: 'Viewed', count: { atMost: 2 } } };
  const leaves = [thrice, big, refunded, atMostTwice].map(stored);
  const byKey = new Map(leaves.map((leaf) => [leaf.leaf.key, leaf]));
  const all = new Set(leaves.map((leaf) => leaf.id));
  // Bits: 0 thrice, 1 big, 2 refunded, 3 at most twice (holds without hits: a row only when it does not).
  const scan: LeafScan = {
    leaves,
    snapshotAt: '2026-12-01T00:00:00.000Z',
    rows: [
      { profileId: 'a', mask: 0b1001 },
      { profileId: 'b', mask: 0b1110 },
      { profileId: 'c', mask: 0b0000 },
      { profileId: 'd', mask: 0b1011 },
    ],
  };

  it('keeps the rows whose mask satisfies the tree, in their order', () => {
    expect(scannedMembers({ or: [thrice, big] }, byKey, scan, all)).toEqual(['a', 'b', 'd']);
    expect(scannedMembers({ and: [{ or: [thrice, big] }, { not: refunded }] }, byKey, scan, all)).toEqual(['a', 'd']);
    expect(scannedMembers({ and: [thrice, atMostTwice] }, byKey, scan, all)).toEqual(['a', 'd']);
  });

  it('declines when a profile without a row would be a member, or a leaf was not scanned', () => {
    expect(scannedMembers({ not: refunded }, byKey, scan, all)).toBeNull();
    expect(scannedMembers(atMostTwice, byKey, scan, all)).toBeNull();
    expect(scannedMembers({ or: [thrice, { event: { name: 'Opened' } }] }, byKey, scan, all)).toBeNull();
    expect(scannedMembers({ or: [thrice, big] }, byKey, scan, new Set(['leaf-0']))).toBeNull();
    expect(scannedMembers({ and: [thrice, { segment: { segmentId: '7b0f2a52-5f3c-4c39-9a57-1b4a0d2c1e11', member: true } }] }, byKey, scan, all)).toBeNull();
  });
});
