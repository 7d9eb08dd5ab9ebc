import { Args, Context, ID, Mutation, Parent, Query, ResolveField, Resolver, ResolveReference } from '@nestjs/graphql';
import type { CallerContext } from '@boomerang/platform/auth';
import { Caller, groupByKeys, ProjectId, type SubgraphContext, toConnection, JSONScalar } from '@boomerang/platform/subgraph';
import { PERSONAL_IDENTITY_KINDS, type ProfileIdentityEntity } from '../identities/identity.entity.js';
import { IdentityRepository } from '../identities/identity.repository.js';
import { IdentityKind, ProfileIdentity } from '../identities/identity.model.js';
import { CreateProfileInput } from './dto/create-profile.input.js';
import { ProfilesArgs } from './dto/profiles.args.js';
import type { ProfileEntity } from './profile.entity.js';
import { ChannelSubscription, Profile, ProfileConnection, subscriptionsOf } from './profile.model.js';
import { ProfileService } from './profile.service.js';

/** Personal data is shown to secret keys only, whichever path (root field or entity) reached it. */
const personalData = (caller: CallerContext, value: string | null): string | null => (caller.scope === 'secret' ? value : null);

@Resolver(() => Profile)
export class ProfileResolver {
  constructor(
    private readonly profileService: ProfileService,
    private readonly identityRepository: IdentityRepository,
  ) {}

  @Query(() => Profile, { description: 'A merged profile id resolves to the profile it was merged into.' })
  profile(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.profileService.get(projectId, id);
  }

  @Query(() => ProfileConnection, { description: 'Profiles in creation order (merged ones excluded).' })
  async profiles(@ProjectId() projectId: string, @Args() args: ProfilesArgs) {
    return toConnection(await this.profileService.list(projectId, args.first, args.after, args.filter), (row) => row.createdAt);
  }

  @Query(() => Profile, { nullable: true, description: 'The profile that answers to this identity, or null.' })
  profileByIdentity(
    @ProjectId() projectId: string,
    @Args('kind', { type: () => IdentityKind }) kind: IdentityKind,
    @Args('value') value: string,
  ) {
    return this.profileService.findByIdentity(projectId, { kind, value });
  }

  @ResolveField(() => [ProfileIdentity], { description: 'Oldest first. Email and phone identities are listed for secret keys only.' })
  async identities(@Parent() profile: ProfileEntity, @Caller() caller: CallerContext, @Context() context: SubgraphContext) {
    const identities = await context.loaders
      .get<string, ProfileIdentityEntity[]>('Profile.identities', async (ids) =>
        groupByKeys(ids, await this.identityRepository.forProfiles(profile.projectId, ids), (row) => row.profileId),
      )
      .load(profile.id);
    return caller.scope === 'secret' ? identities : identities.filter((identity) => !PERSONAL_IDENTITY_KINDS.has(identity.kind));
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

  @ResolveField(() => JSONScalar, { nullable: true })
  consent(@Parent() profile: ProfileEntity, @Caller() caller: CallerContext) {
    return caller.scope === 'secret' ? (profile.consent ?? {}) : null;
  }

  @ResolveField(() => [ChannelSubscription], {
    nullable: true,
    description: 'Subscription state per channel (email, sms, push, whatsapp), from MSG-* flags. Null unless read with a secret key.',
  })
  subscriptions(@Parent() profile: ProfileEntity, @Caller() caller: CallerContext): ChannelSubscription[] | null {
    return caller.scope === 'secret' ? subscriptionsOf(profile.consent) : null;
  }

  @ResolveReference()
  resolveReference(reference: { id: string }, context: SubgraphContext) {
    const projectId = context.caller.projectId;
    if (!projectId) return null;
    return context.loaders
      .get<string, ProfileEntity | null>('Profile', (ids) => this.profileService.findMany(projectId, ids))
      .load(reference.id);
  }
}
