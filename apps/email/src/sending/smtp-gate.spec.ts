import { SmtpGate } from './smtp-gate.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('SmtpGate', () => {
  it('admits up to high at once, then, when low are left, all the waiting it has room for together', async () => {
    const sut = new SmtpGate({ high: 4, low: 2 });
    const admitted: number[] = [];
    const releases = new Map<number, () => void>();
    for (let n = 0; n < 9; n++) void sut.enter('p').then((release) => (admitted.push(n), releases.set(n, release)));
    await tick();
    expect(admitted).toEqual([0, 1, 2, 3]);

    releases.get(0)!();
    await tick();
    expect(admitted).toEqual([0, 1, 2, 3]);

    releases.get(1)!();
    await tick();
    expect(admitted).toEqual([0, 1, 2, 3, 4, 5]);

    for (const n of [2, 3, 4]) releases.get(n)!();
    await tick();
    expect(admitted).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);

    releases.get(5)!();
    await tick();
    expect(admitted).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('counts each project apart, and a release called twice counts once', async () => {
    const sut = new SmtpGate({ high: 1, low: 0 });
    const first = await sut.enter('a');
    const other = await sut.enter('b');
    let waited = false;
    const second = sut.enter('a').then((release) => ((waited = true), release));
    await tick();
    expect(waited).toBe(false);
    first();
    first();
    (await second)();
    other();
    expect(waited).toBe(true);
    // Both projects are empty again: a new entry is admitted at once.
    expect(typeof (await sut.enter('a'))).toBe('function');
  });
});
