import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver, ResolveReference } from '@nestjs/graphql';
import type { CallerContext } from '@boomerang/platform/auth';
import { byKeys, Caller, ProjectId, type SubgraphContext, toConnection, JSONScalar } from '@boomerang/platform/subgraph';
import { CreateProfileInput } from './dto/create-profile.input.js';
import { ProfilesArgs } from './dto/profiles.args.js';
import type { ProfileEntity } from './profile.entity.js';
import { Profile, ProfileConnection } from './profile.model.js';
import { ProfileService } from './profile.service.js';

/** Personal data is shown to secret keys only, whichever path (root field or entity) reached it. */
const personalData = (caller: CallerContext, value: string | null): string | null => (caller.scope === 'secret' ? value : null);

@Resolver(() => Profile)
export class ProfileResolver {
  constructor(private readonly profileService: ProfileService) {}

  @Query(() => Profile)
  profile(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.profileService.get(projectId, id);
  }

  @Query(() => ProfileConnection, { description: 'Profiles in creation order.' })
  async profiles(@ProjectId() projectId: string, @Args() args: ProfilesArgs) {
    return toConnection(await this.profileService.list(projectId, args.first, args.after), (row) => row.createdAt);
  }

  @Mutation(() => Profile, { description: 'Secret key only. Needs externalId or anonymousId.' })
  createProfile(@ProjectId() projectId: string, @Args('input') input: CreateProfileInput) {
    return this.profileService.create(projectId, input);
  }

  @Mutation(() => Profile, { description: 'Merges the given properties into the profile (top-level keys replace).' })
  updateProfileProperties(
    @ProjectId() projectId: string,
    @Args('id', { type: () => ID }) id: string,
    @Args('properties', { type: () => JSONScalar }) properties: unknown,
  ) {
    return this.profileService.mergeProperties(projectId, id, properties);
  }

  @ResolveField(() => String, { nullable: true })
  email(@Parent() profile: ProfileEntity, @Caller() caller: CallerContext) {
    return personalData(caller, profile.email);
  }

  @ResolveField(() => String, { nullable: true })
  phone(@Parent() profile: ProfileEntity, @Caller() caller: CallerContext) {
    return personalData(caller, profile.phone);
  }

  @ResolveReference()
  resolveReference(reference: { id: string }, context: SubgraphContext) {
    const projectId = context.caller.projectId;
    if (!projectId) return null;
    return context.loaders
      .get<string, ProfileEntity | null>('Profile', async (ids) => byKeys(ids, await this.profileService.findMany(projectId, ids), (row) => row.id, null))
      .load(reference.id);
  }
}
