import { errorFunction } from 'simple-statistics';

// The two-sided 95 % normal quantile, exactly: simple-statistics' probit and inverse error function are off in the third decimal (its erf is not).
const Z_95 = 1.959963984540054;

export interface GroupOutcome {
  size: number;
  converted: number;
}

export interface Lift {
  testRate: number;
  controlRate: number;
  /** testRate − controlRate (absolute percentage points as a fraction). */
  absolute: number;
  /** absolute / controlRate; null when the control converted nobody. */
  relative: number | null;
  /** 95 % confidence interval of `absolute` (difference of two proportions, normal approximation). */
  low: number;
  high: number;
  /** Two-sided p-value of the difference (z test, the same standard error). */
  pValue: number;
  /** The interval excludes zero. */
  significant: boolean;
}

/** Lift of the test group's conversion rate over the control's; null until both groups have someone. */
export function liftOf(test: GroupOutcome, control: GroupOutcome): Lift | null {
  if (test.size === 0 || control.size === 0) return null;
  const testRate = test.converted / test.size;
  const controlRate = control.converted / control.size;
  const absolute = testRate - controlRate;
  const standardError = Math.sqrt((testRate * (1 - testRate)) / test.size + (controlRate * (1 - controlRate)) / control.size);
  const low = absolute - Z_95 * standardError;
  const high = absolute + Z_95 * standardError;
  const pValue = standardError > 0 ? 1 - errorFunction(Math.abs(absolute) / standardError / Math.SQRT2) : absolute === 0 ? 1 : 0;
  return { testRate, controlRate, absolute, relative: controlRate > 0 ? absolute / controlRate : null, low, high, pValue, significant: low > 0 || high < 0 };
}
