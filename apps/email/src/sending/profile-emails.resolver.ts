import { Args, Context, Int, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { assertSecretKey, type SubgraphContext } from '@boomerang/platform/subgraph';
import { ProfileEmail, ProfileReference } from './email-send.model.js';
import { EmailSends } from './email-sends.js';
import { SendingError, SendingErrorCode } from './sending.errors.js';

/** Adds `emails` to Profile; every profile in a request shares one query per `first`. */
@Resolver(() => ProfileReference)
export class ProfileEmailsResolver {
  constructor(private readonly sends: EmailSends) {}

  @ResolveField(() => [ProfileEmail], {
    // Contributed to another subgraph's entity: nullable, so an email outage nulls only this field.
    nullable: true,
    description: 'Emails sent (or skipped, failed, waiting) to this profile, newest first. Secret key only. Null when the email service did not answer (error SUBGRAPH_UNAVAILABLE).',
  })
  async emails(
    @Parent() profile: ProfileReference,
    @Context() context: SubgraphContext,
    @Args('first', { type: () => Int, defaultValue: 20, description: '1–100.' }) first: number,
  ) {
    assertSecretKey(context.caller);
    if (!Number.isInteger(first) || first < 1 || first > 100) throw new SendingError(SendingErrorCode.InvalidFirst, 'Invalid value for first: must be between 1 and 100', 'first');
    const projectId = context.caller.projectId;
    if (!projectId) return [];
    return context.loaders.get<string, ProfileEmail[]>(`Profile.emails:${first}`, (ids) => this.sends.ofProfiles(projectId, ids, first)).load(profile.id);
  }
}
