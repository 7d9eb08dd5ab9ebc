import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver, ResolveReference } from '@nestjs/graphql';
import { byKeys, groupByKeys, Loaders, ProjectId, type RequestLoaders, type SubgraphContext } from '@boomerang/platform/subgraph';
import { CallTokens, DEFAULT_TOKEN_TTL_SECONDS } from '../tokens/call-tokens.js';
import type { CallClientReportEntity } from './call-client-report.entity.js';
import type { CallParticipantEntity } from './call-participant.entity.js';
import type { CallStateChangeEntity } from './call-state-change.entity.js';
import type { CallEntity } from './call.entity.js';
import { Call, CallAnalytics, CallClientReport, CallParticipant, CallStateChange, CallToken, ProfileReference } from './call.model.js';
import { CallService } from './call.service.js';
import { CallIdentityInput } from './dto/call-identity.input.js';
import { PlaceCallInput } from './dto/place-call.input.js';
import { ReportCallClientInput } from './dto/report-call-client.input.js';

/** The product backend's (secret key) door to calls; clients use signalling with a call token. */
@Resolver(() => Call)
export class CallResolver {
  constructor(
    private readonly callService: CallService,
    private readonly callTokens: CallTokens,
  ) {}

  @Query(() => Call)
  call(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.callService.get(projectId, id);
  }

  @Query(() => [Call], {
    description: "The project's calls, newest first; with profileId, only the calls that profile made or received. With first (1–100), one page; after: the id of the last call of the previous page.",
  })
  calls(
    @ProjectId() projectId: string,
    @Args('profileId', { type: () => ID, nullable: true }) profileId?: string | null,
    @Args('first', { type: () => Int, nullable: true }) first?: number | null,
    @Args('after', { type: () => ID, nullable: true }) after?: string | null,
  ) {
    return this.callService.list(projectId, profileId, first, after);
  }

  @Query(() => CallAnalytics, { description: 'Outcome counts, answer and missed rates and average duration of the calls placed in [from, to).' })
  callAnalytics(@ProjectId() projectId: string, @Args('from', { type: () => Date }) from: Date, @Args('to', { type: () => Date }) to: Date) {
    return this.callService.analytics(projectId, from, to);
  }

  @Mutation(() => CallToken, { description: 'Mints a short-lived token for one profile to connect to call signalling with.' })
  async createCallToken(
    @ProjectId() projectId: string,
    @Args('profileId', { type: () => ID }) profileId: string,
    @Args('ttlSeconds', { type: () => Int, nullable: true, description: `Default ${DEFAULT_TOKEN_TTL_SECONDS}.` }) ttlSeconds?: number | null,
    @Args('identity', { type: () => CallIdentityInput, nullable: true, description: 'The masked identity calls of this token show by default.' })
    identity?: CallIdentityInput | null,
  ): Promise<CallToken> {
    const minted = await this.callTokens.mint(projectId, profileId, ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS, identity);
    return { ...minted, signallingUrl: this.callTokens.signallingUrl };
  }

  @Mutation(() => Call, {
    description: 'Places a call from one profile to another: BUSY if the callee is on a call, UNREACHABLE without a connected client, else RINGING.',
  })
  placeCall(@ProjectId() projectId: string, @Args('input') input: PlaceCallInput) {
    return this.callService.place(projectId, input.callerProfileId, input);
  }

  @Mutation(() => Call, { description: 'The callee (profileId) answers a ringing call.' })
  answerCall(@ProjectId() projectId: string, @Args('callId', { type: () => ID }) callId: string, @Args('profileId', { type: () => ID }) profileId: string) {
    return this.callService.answer(projectId, callId, profileId);
  }

  @Mutation(() => Call, { description: 'The callee (profileId) declines a ringing call.' })
  declineCall(@ProjectId() projectId: string, @Args('callId', { type: () => ID }) callId: string, @Args('profileId', { type: () => ID }) profileId: string) {
    return this.callService.decline(projectId, callId, profileId);
  }

  @Mutation(() => Call, { description: 'A participant (profileId) hangs up: CANCELLED (caller) or DECLINED (callee) before an answer, ENDED after.' })
  hangUpCall(@ProjectId() projectId: string, @Args('callId', { type: () => ID }) callId: string, @Args('profileId', { type: () => ID }) profileId: string) {
    return this.callService.hangUp(projectId, callId, profileId);
  }

  @Mutation(() => Call, { description: "Records what a participant's client observed, e.g. microphone permission denied." })
  reportCallClient(@ProjectId() projectId: string, @Args('input') input: ReportCallClientInput) {
    return this.callService.report(projectId, input.callId, input.profileId, input);
  }

  // A reference to another subgraph's entity: nullable, so a profiles outage nulls only this field (README, "Adding fields across subgraphs").
  @ResolveField(() => ProfileReference, { nullable: true, description: 'Null when the profiles service did not answer for the fields asked (error SUBGRAPH_UNAVAILABLE).' })
  caller(@Parent() call: CallEntity) {
    return { __typename: 'Profile', id: call.callerProfileId };
  }

  @ResolveField(() => ProfileReference, { nullable: true, description: 'Null when the profiles service did not answer for the fields asked (error SUBGRAPH_UNAVAILABLE).' })
  callee(@Parent() call: CallEntity) {
    return { __typename: 'Profile', id: call.calleeProfileId };
  }

  @ResolveField(() => [CallStateChange], { description: 'Every state the call entered, oldest first.' })
  timeline(@Parent() call: CallEntity, @ProjectId() projectId: string, @Loaders() loaders: RequestLoaders) {
    return loaders
      .get<string, CallStateChangeEntity[]>('CallTimeline', async (ids) => groupByKeys(ids, await this.callService.timelines(projectId, ids), (row) => row.callId))
      .load(call.id);
  }

  @ResolveField(() => [CallParticipant], { description: 'Caller then callee, each with the masked identity the other side sees.' })
  async participants(@Parent() call: CallEntity, @ProjectId() projectId: string, @Loaders() loaders: RequestLoaders): Promise<CallParticipant[]> {
    const rows = await loaders
      .get<string, CallParticipantEntity[]>('CallParticipants', async (ids) =>
        groupByKeys(ids, await this.callService.participants(projectId, ids), (row) => row.callId),
      )
      .load(call.id);
    return rows.map((row) => ({
      role: row.role as CallParticipant['role'],
      profile: { id: row.profileId },
      identity: { displayName: row.displayName, role: row.roleLabel, avatarUrl: row.avatarUrl, proxyNumber: row.proxyNumber },
      proxyExpiresAt: row.proxyExpiresAt,
    }));
  }

  @ResolveField(() => [CallClientReport], { description: "What the participants' clients reported, oldest first." })
  reports(@Parent() call: CallEntity, @ProjectId() projectId: string, @Loaders() loaders: RequestLoaders) {
    return loaders
      .get<string, CallClientReportEntity[]>('CallReports', async (ids) => groupByKeys(ids, await this.callService.reports(projectId, ids), (row) => row.callId))
      .load(call.id);
  }

  @ResolveReference()
  resolveReference(reference: { id: string }, context: SubgraphContext) {
    const projectId = context.caller.projectId;
    if (!projectId) return null;
    return context.loaders
      .get<string, CallEntity | null>('Call', async (ids) => byKeys(ids, await this.callService.findMany(projectId, ids), (row) => row.id, null))
      .load(reference.id);
  }
}
