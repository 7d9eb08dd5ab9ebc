import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Clock, LOGGER, type Logger } from '@boomerang/platform/subgraph';
import { VOICE_CONFIG, type VoiceConfig } from '../voice-config.js';
import type { CallEntity } from './call.entity.js';
import { CallState } from './call.model.js';
import { CallService } from './call.service.js';

/** setTimeout's largest delay; longer deadlines are left to the sweep. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const SWEEP_BATCH = 200;

/**
 * Ring timeouts (RINGING → MISSED) and maximum durations (ANSWERED → ENDED): an in-process timer
 * per live call for promptness, and a sweep over the deadline columns on start and every
 * VOICE_DEADLINE_SWEEP_MS, so a restart or another instance's crash loses no deadline.
 */
@Injectable()
export class CallDeadlines implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private sweeper?: NodeJS.Timeout;
  private sweeping?: Promise<number>;
  private stopped = false;

  constructor(
    private readonly calls: CallService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(VOICE_CONFIG) private readonly config: VoiceConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    calls.onChange((call) => this.track(call));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (process.argv.includes('--print-schema')) return;
    await this.sweep();
    await this.armLiveDeadlines();
    this.sweeper = setInterval(() => void this.sweep(), this.config.VOICE_DEADLINE_SWEEP_MS);
    this.sweeper.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stop();
    await this.sweeping;
  }

  /** Drops every timer and the sweep (shutdown; tests simulate a crash with it). */
  stop(): void {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** Applies every deadline passed on the Clock; returns how many calls it moved on. */
  sweep(): Promise<number> {
    if (this.sweeping) return this.sweeping;
    this.sweeping = this.sweepOnce(this.clock.now())
      .catch((error) => {
        this.logger.warn({ err: error }, 'call deadline sweep failed; retrying on the next one');
        return 0;
      })
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  /** Timers follow each committed change: armed for RINGING and ANSWERED, dropped otherwise. */
  private track(call: Pick<CallEntity, 'id' | 'projectId' | 'state' | 'ringExpiresAt' | 'maxEndsAt'>): void {
    const existing = this.timers.get(call.id);
    if (existing) clearTimeout(existing);
    this.timers.delete(call.id);
    if (this.stopped) return;
    const deadline = call.state === CallState.RINGING ? call.ringExpiresAt : call.state === CallState.ANSWERED ? call.maxEndsAt : null;
    if (!deadline) return;
    const delay = Math.max(0, deadline.getTime() - this.clock.now().getTime());
    if (delay > MAX_TIMER_MS) return;
    const timer = setTimeout(() => {
      this.timers.delete(call.id);
      void this.expire(call.projectId, call.id);
    }, delay);
    timer.unref();
    this.timers.set(call.id, timer);
  }

  private async expire(projectId: string, callId: string): Promise<void> {
    try {
      const call = await this.calls.expireDeadline(projectId, callId);
      // Still live: the deadline moved or the timer fired a hair early; follow it again.
      if (call.state === CallState.RINGING || call.state === CallState.ANSWERED) this.track(call);
    } catch (error) {
      this.logger.warn({ err: error, callId }, 'applying a call deadline failed; the sweep retries it');
    }
  }

  private async sweepOnce(now: Date): Promise<number> {
    let moved = 0;
    for (;;) {
      const before = moved;
      const due = (await this.dataSource.query(
        `SELECT project_id, id FROM call
          WHERE (state = 'ringing' AND ring_expires_at <= $1) OR (state = 'answered' AND max_ends_at <= $1)
          ORDER BY CASE WHEN state = 'ringing' THEN ring_expires_at ELSE max_ends_at END LIMIT ${SWEEP_BATCH}`,
        [now],
      )) as { project_id: string; id: string }[];
      for (const { project_id, id } of due) {
        const call = await this.calls.expireDeadline(project_id, id).catch((error) => {
          this.logger.warn({ err: error, callId: id }, 'applying a swept call deadline failed');
          return null;
        });
        if (call && call.state !== CallState.RINGING && call.state !== CallState.ANSWERED) moved++;
      }
      // A full batch that moved nothing would come back unchanged: stop until the next sweep.
      if (due.length < SWEEP_BATCH || moved === before || this.stopped) return moved;
    }
  }

  /** After a restart, live calls get their timers back (the sweep alone would be up to one interval late). */
  private async armLiveDeadlines(): Promise<void> {
    const live = (await this.dataSource.query(
      `SELECT project_id, id, state, ring_expires_at, max_ends_at FROM call WHERE state IN ('ringing', 'answered')`,
    )) as { project_id: string; id: string; state: CallState; ring_expires_at: Date | null; max_ends_at: Date | null }[];
    for (const row of live) {
      this.track({ id: row.id, projectId: row.project_id, state: row.state, ringExpiresAt: row.ring_expires_at, maxEndsAt: row.max_ends_at });
    }
  }
}
