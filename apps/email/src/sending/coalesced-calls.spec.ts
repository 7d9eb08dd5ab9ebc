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
});
