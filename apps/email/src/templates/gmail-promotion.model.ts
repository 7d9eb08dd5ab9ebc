import { Field, Float, InputType, Int, ObjectType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsDate, IsInt, IsNumber, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';

/** Shapes only: Gmail's rules (https, sizes, aspect ratios, dates, positions) are checked by promotionIssues, naming the field. */
@ObjectType('PromotionImage', { description: 'An image with its size as served, which Gmail needs to lay out the carousel.' })
@InputType('PromotionImageInput')
export class PromotionImageModel {
  @Field({ description: 'https URL.' }) @IsString() @MaxLength(2048) url: string;
  @Field(() => Int, { description: 'Pixels; at least 256.' }) @IsInt() width: number;
  @Field(() => Int, { description: 'Pixels; width:height must be 1.91:1, 1:1 or 4:5, the same for every card.' }) @IsInt() height: number;
}

@ObjectType('DiscountOffer', { description: 'The deal badge of the Promotions tab.' })
@InputType('DiscountOfferInput')
export class DiscountOfferModel {
  @Field(() => String, { nullable: true, description: 'At most 60 characters; a description or a discountCode is required.' })
  @IsOptional()
  @IsString()
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'At most 30 characters.' }) @IsOptional() @IsString() discountCode?: string | null;
  @Field(() => Date, { nullable: true }) @IsOptional() @IsDate() availabilityStarts?: Date | null;
  @Field(() => Date, { nullable: true, description: 'After availabilityStarts.' }) @IsOptional() @IsDate() availabilityEnds?: Date | null;
}

@ObjectType('PromotionCard', { description: 'One card of the product carousel.' })
@InputType('PromotionCardInput')
export class PromotionCardModel {
  @Field(() => PromotionImageModel) @ValidateNested() @Type(() => PromotionImageModel) image: PromotionImageModel;
  @Field({ description: 'https URL the card opens.' }) @IsString() @MaxLength(2048) url: string;
  @Field(() => String, { nullable: true, description: 'At most 90 characters.' }) @IsOptional() @IsString() headline?: string | null;
  @Field(() => Float, { nullable: true }) @IsOptional() @IsNumber() price?: number | null;
  @Field(() => String, { nullable: true, description: 'ISO 4217 code; required with price or discountValue.' }) @IsOptional() @IsString() priceCurrency?: string | null;
  @Field(() => Float, { nullable: true }) @IsOptional() @IsNumber() discountValue?: number | null;
  @Field(() => Int, { nullable: true, description: '1 to 10, unique; default: the card\'s place in the list.' }) @IsOptional() @IsInt() position?: number | null;
}

@ObjectType('GmailPromotion', { description: "Gmail Promotions tab annotations, written as schema.org JSON-LD in the message's head." })
@InputType('GmailPromotionInput')
export class GmailPromotionModel {
  @Field(() => String, { nullable: true, description: "The sender's logo (https URL)." }) @IsOptional() @IsString() @MaxLength(2048) logoUrl?: string | null;
  @Field(() => DiscountOfferModel, { nullable: true }) @IsOptional() @ValidateNested() @Type(() => DiscountOfferModel) offer?: DiscountOfferModel | null;

  @Field(() => [PromotionCardModel], { nullable: true, description: 'At most 10 (a carousel).' })
  @IsOptional()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => PromotionCardModel)
  cards?: PromotionCardModel[] | null;
}
