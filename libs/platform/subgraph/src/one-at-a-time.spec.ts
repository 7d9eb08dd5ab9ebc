import { OneAtATime } from './one-at-a-time.js';

describe('OneAtATime', () => {
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it('runs the tasks of a key in call order, one at a time, and those of other keys alongside', async () => {
    const sut = new OneAtATime();
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`${name} start`);
      await tick();
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([sut.run('a', task('a1')), sut.run('a', task('a2')), sut.run('b', task('b1'))]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    expect(log.indexOf('a1 end')).toBeLessThan(log.indexOf('a2 start'));
    expect(log.indexOf('b1 start')).toBeLessThan(log.indexOf('a1 end'));
  });

  it('goes on after a failing task, which still rejects its own caller', async () => {
    const sut = new OneAtATime();
    const failed = sut.run('a', () => Promise.reject(new Error('boom')));
    const next = sut.run('a', () => Promise.resolve('next'));
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
  });

  it('idle settles after what was queued for the key', async () => {
    const sut = new OneAtATime();
    let done = false;
    void sut.run('a', async () => {
      await tick();
      done = true;
    });
    await sut.idle('a');
    expect(done).toBe(true);
    await expect(sut.idle('unknown')).resolves.toBeUndefined();
  });
});
