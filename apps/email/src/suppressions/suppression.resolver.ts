import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ConnectionArgs, ProjectId, toConnection } from '@boomerang/platform/subgraph';
import { EmailSuppression, EmailSuppressionConnection } from './suppression.model.js';
import { Suppressions } from './suppressions.js';

@Resolver(() => EmailSuppression)
export class SuppressionResolver {
  constructor(private readonly suppressions: Suppressions) {}

  @Query(() => EmailSuppressionConnection, { description: "The project's suppression list, newest first: addresses never sent to." })
  async emailSuppressions(@ProjectId() projectId: string, @Args() { first, after }: ConnectionArgs) {
    return toConnection(await this.suppressions.list(projectId, first, after), (row) => row.createdAt);
  }

  @Mutation(() => EmailSuppression, { description: 'Puts an address on the suppression list (reason MANUAL); one already there keeps its reason.' })
  suppressEmail(
    @ProjectId() projectId: string,
    @Args('address') address: string,
    @Args('note', { type: () => String, nullable: true, description: 'Kept as the entry’s detail.' }) note?: string | null,
  ) {
    return this.suppressions.suppress(projectId, address, note ?? null);
  }

  @Mutation(() => Boolean, {
    description: "Takes an address off the suppression list; false when it was not on it. Does not subscribe anyone: a profile's email consent is profiles'.",
  })
  unsuppressEmail(@ProjectId() projectId: string, @Args('address') address: string) {
    return this.suppressions.unsuppress(projectId, address);
  }
}
