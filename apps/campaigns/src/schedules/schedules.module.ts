import { Module } from '@nestjs/common';
import { CampaignDayRuleResolver } from './campaign-day-rule.resolver.js';

/** When a campaign may send beyond its schedule: the weekend and holiday rule (applied per profile by DeliveryDecisions). */
@Module({ providers: [CampaignDayRuleResolver] })
export class SchedulesModule {}
