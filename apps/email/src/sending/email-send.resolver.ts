import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { JSONScalar, ProjectId } from '@boomerang/platform/subgraph';
import { EmailSendStats, TestEmailResult } from './email-send.model.js';
import { EmailSends } from './email-sends.js';
import { SendTestEmail } from './send-test-email.js';
import { SendingError, SendingErrorCode } from './sending.errors.js';

@Resolver()
export class EmailSendResolver {
  constructor(
    private readonly sends: EmailSends,
    private readonly sendTest: SendTestEmail,
  ) {}

  @Query(() => [EmailSendStats], { description: "The project's sends counted by status, per template and campaign (filters optional)." })
  emailSendStats(
    @ProjectId() projectId: string,
    @Args('templateId', { type: () => ID, nullable: true }) templateId?: string | null,
    @Args('campaignId', { type: () => ID, nullable: true }) campaignId?: string | null,
  ) {
    return this.sends.stats(projectId, { templateId, campaignId });
  }

  @Mutation(() => TestEmailResult, {
    description:
      'Sends the template now to `to`, subject marked [Test]: personalized for `profileId` as a send would be, else with the built-in profile fields null but email (= to). Not recorded as a send; no suppression check.',
  })
  sendTestEmail(
    @ProjectId() projectId: string,
    @Args('templateId', { type: () => ID }) templateId: string,
    @Args('to') to: string,
    @Args('profileId', { type: () => ID, nullable: true }) profileId?: string | null,
    @Args('version', { type: () => Int, nullable: true, description: 'Default: the current version.' }) version?: number | null,
    @Args('event', { type: () => JSONScalar, nullable: true }) event?: unknown,
    @Args('campaign', { type: () => JSONScalar, nullable: true }) campaign?: unknown,
  ) {
    return this.sendTest.execute(projectId, { templateId, to, profileId, version, event: jsonObject(event, 'event'), campaign: jsonObject(campaign, 'campaign') });
  }
}

function jsonObject(value: unknown, field: string): Record<string, unknown> | undefined {
  if (value == null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new SendingError(SendingErrorCode.InvalidRenderData, `Invalid value for ${field}: must be a JSON object`, field);
  return value as Record<string, unknown>;
}
