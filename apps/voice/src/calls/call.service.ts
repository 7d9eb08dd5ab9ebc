import { randomInt, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import { CallPlaced, CallStateChanged, type MessageOf } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { Clock, isUuid, KnownProfiles, LOGGER, type Logger } from '@boomerang/platform/subgraph';
import { CallUpdates } from '../presence/call-updates.js';
import { ConnectedClients, type ClientIdentity } from '../presence/connected-clients.js';
import { VOICE_CONFIG, type VoiceConfig } from '../voice-config.js';
import { CallClientReportEntity } from './call-client-report.entity.js';
import { validatePlaceCall, validateReport, validProfileId, type PlaceCallCommand, type ValidPlaceCall } from './call-input.js';
import { CallParticipantEntity } from './call-participant.entity.js';
import { CallStateChangeEntity } from './call-state-change.entity.js';
import { CallStateMachine, LIVE_STATES } from './call-state-machine.js';
import { CallEndReason, type CallRole, type CallView, type MaskedIdentity } from './call-view.js';
import { CallEntity } from './call.entity.js';
import { CallError, CallErrorCode, invalidInput } from './call.errors.js';
import { CallState } from './call.model.js';

type CallPatch = Partial<Pick<CallEntity, 'answeredAt' | 'ringExpiresAt' | 'maxEndsAt' | 'endReason'>>;
interface Transition {
  to: CallState;
  patch?: CallPatch;
}

export interface CallAnalytics {
  placed: number;
  answered: number;
  ended: number;
  missed: number;
  declined: number;
  cancelled: number;
  busy: number;
  unreachable: number;
  failed: number;
  /** Calls still PLACED, RINGING or ANSWERED. */
  live: number;
  /** Of the calls placed in the period. Null when none were. */
  answerRate: number | null;
  missedRate: number | null;
  /** Over answered calls that have ended. */
  averageDurationSeconds: number | null;
}

const PROXY_DIGITS = 7;
const LIVE_SQL = `('${LIVE_STATES.join("', '")}')`;

/**
 * Calls between two profiles of a project: placing (busy / unreachable / ringing), answering,
 * declining, hanging up, failing, deadlines and client reports. Every state change goes through
 * the CallStateMachine inside one transaction with its timeline row and its CallStateChanged
 * outbox message; participants are told after the commit through CallUpdates.
 */
@Injectable()
export class CallService {
  private readonly changeListeners = new Set<(call: CallEntity) => void>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
    private readonly presence: ConnectedClients,
    private readonly updates: CallUpdates,
    @Inject(VOICE_CONFIG) private readonly config: VoiceConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly knownProfiles: KnownProfiles,
  ) {}

  /** Called after every committed change with the call's new state (deadline timers listen here). */
  onChange(listener: (call: CallEntity) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /**
   * Records the call PLACED and, in the same transaction, BUSY (the callee is on a live call),
   * UNREACHABLE (no connected client) or RINGING until the ring timeout. Both profiles must be
   * known (NOT_FOUND otherwise, nothing recorded).
   */
  async place(projectId: string, callerProfileId: string, input: PlaceCallCommand): Promise<CallEntity> {
    const valid = validatePlaceCall(callerProfileId, input);
    const now = this.clock.now();
    const call = await this.dataSource.transaction(async (manager) => {
      // One placement at a time per profile, so two calls cannot both find the callee free.
      for (const profileId of [callerProfileId, valid.calleeProfileId].sort()) {
        await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`voice:profile:${projectId}:${profileId}`]);
      }
      await this.knownProfiles.require(
        projectId,
        [
          { profileId: callerProfileId, field: 'input.callerProfileId' },
          { profileId: valid.calleeProfileId, field: 'input.calleeProfileId' },
        ],
        manager,
      );
      const placed = manager.create(CallEntity, {
        id: randomUUID(),
        projectId,
        callerProfileId,
        calleeProfileId: valid.calleeProfileId,
        reason: valid.reason,
        reference: valid.reference,
        metadata: valid.metadata,
        branding: valid.branding,
        state: CallState.PLACED,
        placedAt: now,
        answeredAt: null,
        endedAt: null,
        ringExpiresAt: null,
        maxEndsAt: null,
        endReason: null,
        durationSeconds: null,
      });
      await manager.insert(CallEntity, placed as never);
      await this.insertParticipants(manager, placed, valid);
      await this.record(manager, placed, null, now);
      await this.outbox.enqueue(manager, CallPlaced, {
        projectId,
        occurredAt: now.toISOString(),
        callId: placed.id,
        callerProfileId,
        calleeProfileId: valid.calleeProfileId,
      });
      await this.apply(manager, placed, await this.firstOutcome(manager, placed, valid, now), now);
      const stored = await manager.findOneByOrFail(CallEntity, { id: placed.id, projectId });
      return { call: stored, views: await this.viewsIn(manager, stored) };
    });
    this.announce(call.call, call.views);
    return call.call;
  }

  /** The callee picks up a ringing call. */
  answer(projectId: string, callId: string, actorProfileId: string): Promise<CallEntity> {
    return this.transition(projectId, callId, (call, now) => {
      this.requireRole(call, actorProfileId, 'CALLEE', 'answer');
      return { to: CallState.ANSWERED, patch: { answeredAt: now, maxEndsAt: new Date(now.getTime() + this.config.VOICE_MAX_CALL_SECONDS * 1000) } };
    });
  }

  /** The callee rejects a ringing call. */
  decline(projectId: string, callId: string, actorProfileId: string): Promise<CallEntity> {
    return this.transition(projectId, callId, (call) => {
      this.requireRole(call, actorProfileId, 'CALLEE', 'decline');
      return { to: CallState.DECLINED, patch: { endReason: CallEndReason.DECLINED } };
    });
  }

  /** CANCELLED when the caller hangs up before an answer (DECLINED for the callee), ENDED after. */
  hangUp(projectId: string, callId: string, actorProfileId: string): Promise<CallEntity> {
    return this.transition(projectId, callId, (call) => {
      const role = this.roleOf(call, actorProfileId);
      if (call.state === CallState.ANSWERED || CallStateMachine.isTerminal(call.state)) {
        return { to: CallState.ENDED, patch: { endReason: role === 'CALLER' ? CallEndReason.HANG_UP_CALLER : CallEndReason.HANG_UP_CALLEE } };
      }
      return role === 'CALLER'
        ? { to: CallState.CANCELLED, patch: { endReason: CallEndReason.CANCELLED } }
        : { to: CallState.DECLINED, patch: { endReason: CallEndReason.DECLINED } };
    });
  }

  /**
   * Media could not be established (MEDIA_FAILED) or a client vanished (CONNECTION_LOST): FAILED,
   * except that an answered call whose connection was lost did take place and ENDS.
   */
  fail(projectId: string, callId: string, reason: 'MEDIA_FAILED' | 'CONNECTION_LOST'): Promise<CallEntity> {
    return this.transition(projectId, callId, (call) => {
      const endReason = reason === 'MEDIA_FAILED' ? CallEndReason.MEDIA_FAILED : CallEndReason.CONNECTION_LOST;
      if (call.state === CallState.ANSWERED && endReason === CallEndReason.CONNECTION_LOST) return { to: CallState.ENDED, patch: { endReason } };
      return { to: CallState.FAILED, patch: { endReason } };
    });
  }

  /**
   * Applies a passed deadline: RINGING → MISSED, ANSWERED → ENDED (MAX_DURATION). Nothing when the
   * call moved on or its deadline has not passed (a timer and a sweep may both arrive).
   */
  async expireDeadline(projectId: string, callId: string): Promise<CallEntity> {
    return this.transition(projectId, callId, (call, now) => {
      if (call.state === CallState.RINGING && call.ringExpiresAt && call.ringExpiresAt <= now) {
        return { to: CallState.MISSED, patch: { endReason: CallEndReason.MISSED } };
      }
      if (call.state === CallState.ANSWERED && call.maxEndsAt && call.maxEndsAt <= now) {
        return { to: CallState.ENDED, patch: { endReason: CallEndReason.MAX_DURATION } };
      }
      return null;
    });
  }

  /** Something a participant's client observed (e.g. microphone permission denied); any state. Returns the call. */
  async report(projectId: string, callId: string, actorProfileId: string, report: { kind: string; detail?: string | null }): Promise<CallEntity> {
    const valid = validateReport(report);
    const call = await this.get(projectId, callId);
    const role = this.roleOf(call, actorProfileId);
    await this.dataSource.getRepository(CallClientReportEntity).insert({
      id: randomUUID(),
      projectId,
      callId: call.id,
      role,
      kind: valid.kind,
      detail: valid.detail,
      at: this.clock.now(),
    });
    return call;
  }

  /** The call as `profileId` sees it; refuses a profile that is not a participant. */
  async viewFor(projectId: string, callId: string, profileId: string): Promise<CallView> {
    const call = await this.get(projectId, callId);
    const role = this.roleOf(call, profileId);
    const [participants, timeline] = await Promise.all([this.participants(projectId, [call.id]), this.timelines(projectId, [call.id])]);
    return toView(call, role, participants, timeline);
  }

  /** The profile's live call (PLACED, RINGING or ANSWERED), if any, newest first. */
  async activeCallOf(projectId: string, profileId: string): Promise<CallEntity | null> {
    if (!isUuid(profileId)) return null;
    return this.dataSource
      .getRepository(CallEntity)
      .createQueryBuilder('call')
      .where('call.project_id = :projectId', { projectId })
      .andWhere('(call.caller_profile_id = :profileId OR call.callee_profile_id = :profileId)', { profileId })
      .andWhere(`call.state IN ${LIVE_SQL}`)
      .orderBy('call.placed_at', 'DESC')
      .getOne();
  }

  roleOf(call: Pick<CallEntity, 'id' | 'callerProfileId' | 'calleeProfileId'>, profileId: string): CallRole {
    if (profileId === call.callerProfileId) return 'CALLER';
    if (profileId === call.calleeProfileId) return 'CALLEE';
    throw new CallError(CallErrorCode.NotAParticipant, `This profile is not a participant of call ${call.id}`);
  }

  async get(projectId: string, id: string): Promise<CallEntity> {
    const call = isUuid(id) ? await this.dataSource.getRepository(CallEntity).findOneBy({ id, projectId }) : null;
    if (!call) throw new CallError(CallErrorCode.CallNotFound, `No call ${id} in this project`, 'id');
    return call;
  }

  /**
   * The project's calls, newest first; with a profile, only calls it made or received. With
   * `first`, one page: `after` is the id of the last call of the previous page.
   */
  async list(projectId: string, profileId?: string | null, first?: number | null, after?: string | null): Promise<CallEntity[]> {
    const query = this.dataSource.getRepository(CallEntity).createQueryBuilder('call').where('call.project_id = :projectId', { projectId });
    if (profileId != null) {
      validProfileId(profileId, 'profileId');
      query.andWhere('(call.caller_profile_id = :profileId OR call.callee_profile_id = :profileId)', { profileId });
    }
    if (first != null && (!Number.isInteger(first) || first < 1 || first > 100)) throw invalidInput('first', 'first must be a whole number from 1 to 100');
    if (after != null) {
      const last = isUuid(after) ? await this.dataSource.getRepository(CallEntity).findOneBy({ id: after, projectId }) : null;
      if (!last) throw invalidInput('after', 'after must be the id of a call of this project');
      query.andWhere('(call.placed_at, call.id) < (:placedAt, :id)', { placedAt: last.placedAt, id: last.id });
    }
    query.orderBy('call.placed_at', 'DESC').addOrderBy('call.id', 'DESC');
    if (first != null) query.take(first);
    return query.getMany();
  }

  /** Outcome counts and rates over the calls placed in [from, to). */
  async analytics(projectId: string, from: Date, to: Date): Promise<CallAnalytics> {
    if (!(from < to)) throw invalidInput('to', 'to must be after from');
    const [row] = (await this.dataSource.query(
      `SELECT count(*)::int AS placed,
              count(*) FILTER (WHERE answered_at IS NOT NULL)::int AS answered,
              count(*) FILTER (WHERE state = 'ended')::int AS ended,
              count(*) FILTER (WHERE state = 'missed')::int AS missed,
              count(*) FILTER (WHERE state = 'declined')::int AS declined,
              count(*) FILTER (WHERE state = 'cancelled')::int AS cancelled,
              count(*) FILTER (WHERE state = 'busy')::int AS busy,
              count(*) FILTER (WHERE state = 'unreachable')::int AS unreachable,
              count(*) FILTER (WHERE state = 'failed')::int AS failed,
              count(*) FILTER (WHERE state IN ${LIVE_SQL})::int AS live,
              avg(duration_seconds) FILTER (WHERE duration_seconds IS NOT NULL) AS average_duration
         FROM call WHERE project_id = $1 AND placed_at >= $2 AND placed_at < $3`,
      [projectId, from, to],
    )) as (Omit<CallAnalytics, 'answerRate' | 'missedRate' | 'averageDurationSeconds'> & { average_duration: number | null })[];
    const { average_duration, ...counts } = row!;
    return {
      ...counts,
      answerRate: counts.placed ? counts.answered / counts.placed : null,
      missedRate: counts.placed ? counts.missed / counts.placed : null,
      averageDurationSeconds: average_duration === null ? null : Number(average_duration),
    };
  }

  /** Batch look-up for entity references, still scoped to the caller's project. */
  findMany(projectId: string, ids: readonly string[]): Promise<CallEntity[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return Promise.resolve([]);
    return this.dataSource.getRepository(CallEntity).findBy({ id: In(valid), projectId });
  }

  /** The timelines of several calls in one query, oldest change first. */
  timelines(projectId: string, callIds: readonly string[]): Promise<CallStateChangeEntity[]> {
    return this.dataSource.getRepository(CallStateChangeEntity).find({
      where: { projectId, callId: In([...callIds]) },
      order: { at: 'ASC', seq: 'ASC' },
    });
  }

  participants(projectId: string, callIds: readonly string[]): Promise<CallParticipantEntity[]> {
    return this.dataSource.getRepository(CallParticipantEntity).find({ where: { projectId, callId: In([...callIds]) }, order: { role: 'DESC' } });
  }

  reports(projectId: string, callIds: readonly string[]): Promise<CallClientReportEntity[]> {
    return this.dataSource.getRepository(CallClientReportEntity).find({ where: { projectId, callId: In([...callIds]) }, order: { at: 'ASC', id: 'ASC' } });
  }

  /** Which profile a proxy number stands for while it is live: the mapping never leaves voice. */
  async resolveProxy(projectId: string, proxyNumber: string): Promise<{ callId: string; role: CallRole; profileId: string } | null> {
    const now = this.clock.now();
    const participant = await this.dataSource
      .getRepository(CallParticipantEntity)
      .createQueryBuilder('p')
      .where('p.project_id = :projectId AND p.proxy_number = :proxyNumber', { projectId, proxyNumber })
      .andWhere('(p.proxy_expires_at IS NULL OR p.proxy_expires_at > :now)', { now })
      .getOne();
    return participant ? { callId: participant.callId, role: participant.role, profileId: participant.profileId } : null;
  }

  private async firstOutcome(manager: EntityManager, call: CallEntity, valid: ValidPlaceCall, now: Date): Promise<Transition> {
    if (await this.hasLiveCall(manager, call)) return { to: CallState.BUSY, patch: { endReason: CallEndReason.BUSY } };
    if (!this.presence.isConnected(call.projectId, call.calleeProfileId)) return { to: CallState.UNREACHABLE, patch: { endReason: CallEndReason.UNREACHABLE } };
    const seconds = valid.ringTimeoutSeconds ?? this.config.VOICE_RING_TIMEOUT_SECONDS;
    return { to: CallState.RINGING, patch: { ringExpiresAt: new Date(now.getTime() + seconds * 1000) } };
  }

  private async hasLiveCall(manager: EntityManager, call: CallEntity): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM call WHERE project_id = $1 AND id <> $2 AND state IN ${LIVE_SQL}
         AND (caller_profile_id = $3 OR callee_profile_id = $3) LIMIT 1`,
      [call.projectId, call.id, call.calleeProfileId],
    );
    return rows.length > 0;
  }

  private async insertParticipants(manager: EntityManager, call: CallEntity, valid: ValidPlaceCall): Promise<void> {
    const sides: [CallRole, string, ClientIdentity | undefined, string][] = [
      ['CALLER', call.callerProfileId, valid.callerIdentity, 'Caller'],
      ['CALLEE', call.calleeProfileId, valid.calleeIdentity, 'Callee'],
    ];
    for (const [role, profileId, given, fallbackName] of sides) {
      const identity = given ?? this.presence.identityOf(call.projectId, profileId) ?? {};
      await manager.insert(CallParticipantEntity, {
        id: randomUUID(),
        projectId: call.projectId,
        callId: call.id,
        role,
        profileId,
        displayName: identity.displayName ?? fallbackName,
        roleLabel: identity.role ?? null,
        avatarUrl: identity.avatarUrl ?? null,
        proxyNumber: await this.allocateProxyNumber(manager, call.projectId),
        proxyExpiresAt: null,
      });
    }
  }

  /** A random number under the project's prefix that no live proxy of the project holds. */
  private async allocateProxyNumber(manager: EntityManager, projectId: string): Promise<string> {
    for (;;) {
      const candidate = `${this.config.VOICE_PROXY_NUMBER_PREFIX}${String(randomInt(0, 10 ** PROXY_DIGITS)).padStart(PROXY_DIGITS, '0')}`;
      // Held to commit: a concurrent placement drawing the same number waits, then sees it taken.
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`voice:proxy:${projectId}:${candidate}`]);
      const taken: unknown[] = await manager.query(
        `SELECT 1 FROM call_participant WHERE project_id = $1 AND proxy_number = $2 AND (proxy_expires_at IS NULL OR proxy_expires_at > $3) LIMIT 1`,
        [projectId, candidate, this.clock.now()],
      );
      if (taken.length === 0) return candidate;
    }
  }

  private async transition(projectId: string, callId: string, decide: (call: CallEntity, now: Date) => Transition | null): Promise<CallEntity> {
    const now = this.clock.now();
    const { call, views } = await this.dataSource.transaction(async (manager) => {
      const locked = isUuid(callId)
        ? await manager.getRepository(CallEntity).findOne({ where: { id: callId, projectId }, lock: { mode: 'pessimistic_write' } })
        : null;
      if (!locked) throw new CallError(CallErrorCode.CallNotFound, `No call ${callId} in this project`, 'callId');
      const next = decide(locked, now);
      if (!next) return { call: locked, views: null };
      await this.apply(manager, locked, next, now);
      return { call: locked, views: await this.viewsIn(manager, locked) };
    });
    if (views) this.announce(call, views);
    return call;
  }

  /** One validated state change: the row, its timeline entry and its message, in the caller's transaction. */
  private async apply(manager: EntityManager, call: CallEntity, { to, patch = {} }: Transition, now: Date): Promise<void> {
    CallStateMachine.assertTransition(call.state, to);
    const previous = call.state;
    Object.assign(call, patch, { state: to });
    if (CallStateMachine.isTerminal(to)) {
      call.endedAt = now;
      call.durationSeconds = call.answeredAt ? Math.max(0, now.getTime() - call.answeredAt.getTime()) / 1000 : null;
      await manager.update(
        CallParticipantEntity,
        { projectId: call.projectId, callId: call.id },
        { proxyExpiresAt: new Date(now.getTime() + this.config.VOICE_PROXY_TTL_SECONDS * 1000) },
      );
    }
    await manager.update(
      CallEntity,
      { id: call.id, projectId: call.projectId },
      {
        state: call.state,
        answeredAt: call.answeredAt,
        endedAt: call.endedAt,
        ringExpiresAt: call.ringExpiresAt,
        maxEndsAt: call.maxEndsAt,
        endReason: call.endReason,
        durationSeconds: call.durationSeconds,
      },
    );
    await this.record(manager, call, previous, now);
  }

  private async record(manager: EntityManager, call: CallEntity, previous: CallState | null, now: Date): Promise<void> {
    await manager.insert(CallStateChangeEntity, { id: randomUUID(), projectId: call.projectId, callId: call.id, state: call.state, at: now });
    await this.outbox.enqueue(manager, CallStateChanged, stateChangedMessage(call, previous, now));
  }

  /** Both participants' views as of this change, read inside its transaction (so updates arrive in commit order). */
  private async viewsIn(manager: EntityManager, call: CallEntity): Promise<Record<CallRole, CallView>> {
    const [participants, timeline] = await Promise.all([
      manager.find(CallParticipantEntity, { where: { projectId: call.projectId, callId: call.id } }),
      manager.find(CallStateChangeEntity, { where: { projectId: call.projectId, callId: call.id }, order: { at: 'ASC', seq: 'ASC' } }),
    ]);
    return { CALLER: toView(call, 'CALLER', participants, timeline), CALLEE: toView(call, 'CALLEE', participants, timeline) };
  }

  /** After commit: both participants see the new state; deadline timers and media follow it. */
  private announce(call: CallEntity, views: Record<CallRole, CallView>): void {
    for (const listener of this.changeListeners) {
      try {
        listener(call);
      } catch (error) {
        // Committed already: a listener's failure must not turn the caller's success into an error.
        this.logger.warn({ err: error, callId: call.id }, 'a call change listener failed');
      }
    }
    this.updates.publish({ kind: 'CALL_STATE', projectId: call.projectId, profileId: call.callerProfileId, call: views.CALLER });
    this.updates.publish({ kind: 'CALL_STATE', projectId: call.projectId, profileId: call.calleeProfileId, call: views.CALLEE });
    if (CallStateMachine.isTerminal(call.state)) this.updates.announceTerminal(call.projectId, call.id);
  }

  private requireRole(call: CallEntity, actorProfileId: string, role: CallRole, action: string): void {
    if (this.roleOf(call, actorProfileId) !== role) {
      throw new CallError(CallErrorCode.RoleNotAllowed, `Only the ${role.toLowerCase()} can ${action} call ${call.id}`);
    }
  }
}

function stateChangedMessage(call: CallEntity, previous: CallState | null, now: Date): MessageOf<typeof CallStateChanged> {
  return {
    projectId: call.projectId,
    occurredAt: now.toISOString(),
    callId: call.id,
    state: upper(call.state),
    previousState: previous === null ? null : upper(previous),
    callerProfileId: call.callerProfileId,
    calleeProfileId: call.calleeProfileId,
    context: { reason: call.reason, reference: call.reference, metadata: call.metadata },
    at: now.toISOString(),
    durationSeconds: call.durationSeconds,
    endReason: call.endReason,
  };
}

const upper = (state: CallState) => state.toUpperCase() as MessageOf<typeof CallStateChanged>['state'];

function masked(participant: CallParticipantEntity | undefined): MaskedIdentity {
  if (!participant) throw new Error('call participant missing');
  return { displayName: participant.displayName, role: participant.roleLabel, avatarUrl: participant.avatarUrl, proxyNumber: participant.proxyNumber };
}

export function toView(call: CallEntity, role: CallRole, participants: CallParticipantEntity[], timeline: CallStateChangeEntity[]): CallView {
  const of = (side: CallRole) => participants.find((participant) => participant.callId === call.id && participant.role === side);
  return {
    id: call.id,
    state: call.state,
    role,
    context: { reason: call.reason, reference: call.reference, metadata: call.metadata },
    branding: call.branding,
    self: masked(of(role)),
    remote: masked(of(role === 'CALLER' ? 'CALLEE' : 'CALLER')),
    timeline: timeline.filter((change) => change.callId === call.id).map((change) => ({ state: change.state, at: change.at })),
    placedAt: call.placedAt,
    answeredAt: call.answeredAt,
    endedAt: call.endedAt,
    durationSeconds: call.durationSeconds,
    endReason: call.endReason,
    ringExpiresAt: call.ringExpiresAt,
  };
}
