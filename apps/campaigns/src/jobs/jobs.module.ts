import { Module } from '@nestjs/common';
import { CampaignJobs } from './campaign-jobs.js';

/** Durable jobs (pg-boss) in campaigns' schema; see CampaignJobs. */
@Module({ providers: [CampaignJobs], exports: [CampaignJobs] })
export class JobsModule {}
