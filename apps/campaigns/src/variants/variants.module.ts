import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module.js';
import { CampaignVariantsResolver } from './campaign-variants.resolver.js';
import { VariantPromotion } from './variant-promotion.js';

/** A/B variants: the Campaign fields and the promotion of the winner at the end of the test phase (the assignment is variantOf, used by DeliveryDecisions). */
@Module({ imports: [JobsModule], providers: [CampaignVariantsResolver, VariantPromotion], exports: [VariantPromotion] })
export class VariantsModule {}
