import { leastLoaded } from './media-worker-pool.js';

describe('leastLoaded', () => {
  it('picks the worker with the fewest routers, then the fewest transports, then the first', () => {
    const a = { name: 'a', routers: 2, transports: 1 };
    const b = { name: 'b', routers: 1, transports: 9 };
    const c = { name: 'c', routers: 1, transports: 4 };
    const d = { name: 'd', routers: 1, transports: 4 };

    expect(leastLoaded([a, b, c, d])).toBe(c);
    expect(leastLoaded([a, b])).toBe(b);
    expect(leastLoaded([a])).toBe(a);
    expect(leastLoaded([])).toBeUndefined();
  });
});
