import { Field, Float, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { SegmentEntity } from '../segments/segment.entity.js';
import { Segment } from '../segments/segment.model.js';

/** The ten classes; values are the stored keys (rfm-classes.ts). */
export enum RfmClass {
  CHAMPIONS = 'champions',
  LOYAL = 'loyal',
  POTENTIAL_LOYALIST = 'potential_loyalist',
  NEW = 'new',
  PROMISING = 'promising',
  NEEDS_ATTENTION = 'needs_attention',
  ABOUT_TO_SLEEP = 'about_to_sleep',
  AT_RISK = 'at_risk',
  CANT_LOSE_THEM = 'cant_lose_them',
  HIBERNATING = 'hibernating',
}
registerEnumType(RfmClass, { name: 'RfmClass', description: 'The classic RFM classes, placed by R and FM (the average of F and M, halves up).' });

@ObjectType({ description: 'An inclusive range of scores (1–5).' })
export class RfmScoreRange {
  @Field(() => Int) min: number;
  @Field(() => Int) max: number;
}

@ObjectType({ description: 'An inclusive range of measured values.' })
export class RfmValueRange {
  @Field(() => Float) min: number;
  @Field(() => Float) max: number;
}

@ObjectType({ description: 'The purchasers who got one score in the last computation, and the values they had.' })
export class RfmQuintile {
  @Field(() => Int) score: number;
  @Field(() => Float) min: number;
  @Field(() => Float) max: number;
  @Field(() => Int) profiles: number;
}

@ObjectType({ description: 'Where each score began and ended in the last computation (ntile(5) over the purchasers).' })
export class RfmQuintiles {
  @Field(() => [RfmQuintile], { description: 'R: days since the last purchase (5: the most recent fifth).' }) recencyDays: RfmQuintile[];
  @Field(() => [RfmQuintile], { description: 'F: purchases in the window.' }) frequency: RfmQuintile[];
  @Field(() => [RfmQuintile], { description: 'M: the sum of the amount property over those purchases.' }) monetary: RfmQuintile[];
}

@ObjectType({ description: 'One class of the RFM family: its segment, its size and the thresholds that place a profile in it.' })
export class RfmClassSegment {
  @Field(() => RfmClass, { name: 'class' }) key: RfmClass;
  @Field() name: string;
  @Field(() => Segment, { description: 'The STATIC segment holding the class (managed by the family: recomputes undo manual edits).' }) segment: SegmentEntity;
  @Field(() => Int) size: number;
  @Field(() => RfmScoreRange, { description: 'R scores of the class.' }) r: RfmScoreRange;
  @Field(() => RfmScoreRange, { description: 'FM scores of the class: the average of F and M, halves rounded up.' }) fm: RfmScoreRange;
  @Field(() => RfmValueRange, { nullable: true, description: 'Days since the last purchase that those R scores covered in the last computation (null before one, or when none).' })
  recencyDays: RfmValueRange | null;
}

@ObjectType({ description: "The project's RFM family: configuration, last computation and classes." })
export class Rfm {
  @Field() purchaseEvent: string;
  @Field() amountProperty: string;
  @Field(() => Int) windowDays: number;
  @Field({ description: 'IANA zone of the daily recompute and of day counting.' }) timeZone: string;
  @Field({ description: 'Local time (HH:MM) of the daily recompute.' }) recomputeAt: string;
  @Field(() => Date, { nullable: true }) computedAt: Date | null;
  @Field({ description: 'When the next recompute is due (sooner than the daily time while retrying a failure).' }) nextRecomputeAt: Date;
  @Field(() => String, { nullable: true, description: 'Why the last attempt failed (it is retried); null after a success.' }) failure: string | null;
  @Field(() => Int, { description: 'Purchasers scored by the last computation.' }) profilesScored: number;
  @Field(() => [RfmClassSegment]) classes: RfmClassSegment[];
  @Field(() => RfmQuintiles, { nullable: true, description: 'Null before the first computation.' }) quintiles: RfmQuintiles | null;
}

@ObjectType({ description: "A profile's RFM scores from the last computation." })
export class ProfileRfm {
  @Field(() => Int) r: number;
  @Field(() => Int) f: number;
  @Field(() => Int) m: number;
  @Field(() => Int, { description: 'The average of F and M, halves rounded up.' }) fm: number;
  @Field(() => RfmClass, { name: 'class' }) key: RfmClass;
  @Field(() => Segment) segment: SegmentEntity;
  @Field(() => Int) recencyDays: number;
  @Field(() => Int) frequency: number;
  @Field(() => Float) monetary: number;
}
