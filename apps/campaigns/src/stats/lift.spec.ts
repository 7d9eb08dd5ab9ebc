import { liftOf } from './lift.js';

describe('lift', () => {
  it('computes the difference of proportions with a 95 % interval', () => {
    const lift = liftOf({ size: 1000, converted: 150 }, { size: 1000, converted: 100 })!;
    expect(lift.absolute).toBeCloseTo(0.05, 10);
    expect(lift.relative).toBeCloseTo(0.5, 10);
    // se = sqrt(.15*.85/1000 + .1*.9/1000) = 0.014748; 1.959964 × se = 0.028906
    expect(lift.low).toBeCloseTo(0.05 - 0.028906, 5);
    expect(lift.high).toBeCloseTo(0.05 + 0.028906, 5);
    expect(lift.significant).toBe(true);
    expect(lift.pValue).toBeCloseTo(0.000698, 5); // z = 3.390
  });

  it('is not significant when the interval spans zero, and absent without a control', () => {
    expect(liftOf({ size: 50, converted: 6 }, { size: 50, converted: 5 })!.significant).toBe(false);
    expect(liftOf({ size: 10, converted: 1 }, { size: 10, converted: 0 })!.relative).toBeNull();
    expect(liftOf({ size: 10, converted: 1 }, { size: 0, converted: 0 })).toBeNull();
  });
});
