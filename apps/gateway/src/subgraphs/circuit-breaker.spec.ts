import { CircuitBreaker, type CircuitState } from './circuit-breaker.js';

describe('CircuitBreaker', () => {
  let now: number;
  let changes: [CircuitState, CircuitState][];
  let sut: CircuitBreaker;
  beforeEach(() => {
    now = 1_000_000;
    changes = [];
    sut = new CircuitBreaker({ failureThreshold: 3, openMs: 5000 }, (state, previous) => changes.push([state, previous]), () => now);
  });

  const failTimes = (times: number) => {
    for (let i = 0; i < times; i++) {
      expect(sut.tryAcquire()).toBe(true);
      sut.failed();
    }
  };

  it('lets fetches through while failures stay below the threshold in a row', () => {
    failTimes(2);
    sut.succeeded();
    failTimes(2);
    expect(sut.state).toBe('closed');
    expect(sut.tryAcquire()).toBe(true);
    expect(changes).toEqual([]);
  });

  it('opens after the threshold of failures in a row and refuses every fetch while open', () => {
    failTimes(3);
    expect(sut.state).toBe('open');
    expect(changes).toEqual([['open', 'closed']]);
    now += 4999;
    expect(sut.tryAcquire()).toBe(false);
  });

  it('lets one trial through once the open period is over; its success closes the circuit', () => {
    failTimes(3);
    now += 5000;
    expect(sut.state).toBe('half-open');
    expect(sut.tryAcquire()).toBe(true);
    expect(sut.tryAcquire()).toBe(false);
    sut.succeeded();
    expect(sut.state).toBe('closed');
    expect(sut.tryAcquire()).toBe(true);
    expect(changes).toEqual([
      ['open', 'closed'],
      ['closed', 'half-open'],
    ]);
  });

  it('re-opens for another period when the trial fails', () => {
    failTimes(3);
    now += 5000;
    expect(sut.tryAcquire()).toBe(true);
    sut.failed();
    expect(sut.state).toBe('open');
    now += 4999;
    expect(sut.tryAcquire()).toBe(false);
    now += 1;
    expect(sut.tryAcquire()).toBe(true);
    expect(changes).toEqual([
      ['open', 'closed'],
      ['open', 'half-open'],
    ]);
  });

  it('closes when a fetch sent before it opened comes back answered', () => {
    expect(sut.tryAcquire()).toBe(true); // slow, still out
    failTimes(3);
    sut.succeeded();
    expect(sut.state).toBe('closed');
  });
});
