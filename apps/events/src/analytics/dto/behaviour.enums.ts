import { registerEnumType } from '@nestjs/graphql';

export enum FunnelOrderEnum {
  STRICT_ORDER = 'STRICT_ORDER',
  ANY_ORDER = 'ANY_ORDER',
}
registerEnumType(FunnelOrderEnum, {
  name: 'FunnelOrder',
  description: 'STRICT_ORDER: each step at or after the one before. ANY_ORDER: the later steps in any order after step 1.',
});

export enum FunnelWindowUnitEnum {
  MINUTE = 'MINUTE',
  HOUR = 'HOUR',
  DAY = 'DAY',
}
registerEnumType(FunnelWindowUnitEnum, { name: 'FunnelWindowUnit', description: 'Unit of a conversion window (a DAY is 24 hours).' });

export enum TrendMeasureEnum {
  COUNT = 'COUNT',
  UNIQUE_PROFILES = 'UNIQUE_PROFILES',
  SUM = 'SUM',
  AVERAGE = 'AVERAGE',
}
registerEnumType(TrendMeasureEnum, { name: 'TrendMeasure', description: 'Events, distinct profiles, or the sum / average of a numeric property.' });

export enum TrendIntervalEnum {
  HOUR = 'HOUR',
  DAY = 'DAY',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
}
registerEnumType(TrendIntervalEnum, { name: 'TrendInterval', description: "Hours, local days, ISO weeks (Monday first) or calendar months of the project's time zone." });

export enum LifecycleIntervalEnum {
  DAY = 'DAY',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
}
registerEnumType(LifecycleIntervalEnum, { name: 'LifecycleInterval' });

export enum LifecycleStateEnum {
  NEW = 'NEW',
  RETURNING = 'RETURNING',
  RESURRECTING = 'RESURRECTING',
  DORMANT = 'DORMANT',
}
registerEnumType(LifecycleStateEnum, { name: 'LifecycleState' });
