import { CoalescedCalls } from './coalesced-calls.js';

describe('CoalescedCalls', () => {
  it('handles the calls of one tick in one batch, later ones in the next, each caller getting its own result', async () => {
    const batches: number[][] = [];
    const sut = new CoalescedCalls<number, number>(async (items) => {
      batches.push(items);
      await new Promise((resolve) => setTimeout(resolve, 10));
      return items.map((item) => item * 10);
    });
    const first = [1, 2, 3].map((n) => sut.call(n));
    await new Promise((resolve) => setTimeout(resolve, 2));
    const second = [4, 5].map((n) => sut.call(n));
    expect(await Promise.all([...first, ...second])).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('retries a failed batch item by item, so only the bad item fails', async () => {
    const sut = new CoalescedCalls<number, number>(async (items) => {
      if (items.includes(2)) throw new Error('bad item 2');
      return items;
    });
    const results = await Promise.allSettled([1, 2, 3].map((n) => sut.call(n)));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('with a linger, gathers calls spread over it into one batch, and goes early once maxBatch are waiting', async () => {
    const batches: number[][] = [];
    const sut = new CoalescedCalls<number, number>(
      async (items) => {
        batches.push(items);
        return items;
      },
      { lingerMs: 500, maxBatch: 4 },
    );
    const spread = [sut.call(1)];
    await new Promise((resolve) => setTimeout(resolve, 20));
    spread.push(sut.call(2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    spread.push(sut.call(3));
    expect(await Promise.all(spread)).toEqual([1, 2, 3]);
    expect(batches).toEqual([[1, 2, 3]]);

    const started = Date.now();
    expect(await Promise.all([4, 5, 6, 7].map((n) => sut.call(n)))).toEqual([4, 5, 6, 7]);
    expect(Date.now() - started).toBeLessThan(400);
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6, 7]]);
  });
});
