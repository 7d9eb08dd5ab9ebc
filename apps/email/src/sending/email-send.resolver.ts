import { Args, ID, Query, Resolver } from '@nestjs/graphql';
import { ProjectId } from '@boomerang/platform/subgraph';
import { EmailSendStats } from './email-send.model.js';
import { EmailSends } from './email-sends.js';

@Resolver()
export class EmailSendResolver {
  constructor(private readonly sends: EmailSends) {}

  @Query(() => [EmailSendStats], { description: "The project's sends counted by status, per template and campaign (filters optional)." })
  emailSendStats(
    @ProjectId() projectId: string,
    @Args('templateId', { type: () => ID, nullable: true }) templateId?: string | null,
    @Args('campaignId', { type: () => ID, nullable: true }) campaignId?: string | null,
  ) {
    return this.sends.stats(projectId, { templateId, campaignId });
  }
}
