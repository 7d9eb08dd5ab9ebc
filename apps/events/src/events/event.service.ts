import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { CallerScope } from '@boomerang/platform/auth';
import { DataSource, In } from 'typeorm';
import { v7 as timeOrderedUuid } from 'uuid';
import { EventKind, type IdentifyInput, type IngestEventInput, type IngestResult } from './dto/ingest-event.input.js';
import type { TrackEventInput } from './dto/track-event.input.js';
import type { IngestEventCommand } from '../ingestion/ingest-event.command.js';
import { IngestEvents } from '../ingestion/ingest-events.use-case.js';
import { EventEntity, eventFromRow, type EventRow } from './event.entity.js';
import { EventError, EventErrorCode } from './event.errors.js';
import { Clock, decodeCursor, isUuid, KnownProfiles, type Page } from '@boomerang/platform/subgraph';
import { UserVerification, type ReceivedCommand } from '../verification/user-verification.js';

/** The caller as the signed context names it, scoped to a project. */
export interface IngestCaller {
  projectId: string;
  scope: CallerScope;
}

/** The answer of track and identify: the event, and whether its messageId was recorded before. */
export type RecordedEvent = EventEntity & { duplicate: boolean };

/** One page of an events list and its filters (see EventsArgs). */
export interface EventPageQuery {
  first: number;
  after?: string | null;
  name?: string | null;
  types?: readonly EventKind[] | null;
  since?: Date | null;
  until?: Date | null;
  propertyEquals?: Record<string, unknown> | null;
}

@Injectable()
export class EventService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ingestEvents: IngestEvents,
    private readonly verification: UserVerification,
    private readonly clock: Clock,
    private readonly knownProfiles: KnownProfiles,
  ) {}

  /**
   * Server-side ingestion of any call type, through the one write path, in one transaction.
   * `fieldOf(i)`: where input i sits in the request, for errors (a single call's is `input`).
   */
  async ingest(caller: IngestCaller, inputs: readonly IngestEventInput[], fieldOf = (index: number) => `input.events[${index}]`): Promise<IngestResult> {
    const { commands, result } = await this.record(caller, inputs, fieldOf);
    return { accepted: result.inserted, duplicates: commands.length - result.inserted, eventIds: result.eventIds };
  }

  identify(caller: IngestCaller, input: IdentifyInput): Promise<RecordedEvent> {
    return this.recordOne(caller, { ...input, type: EventKind.IDENTIFY });
  }

  /** Records an event through the one write path (see recordOne for the answer). */
  track(caller: IngestCaller, input: TrackEventInput): Promise<RecordedEvent> {
    return this.recordOne(caller, { ...input, type: EventKind.TRACK });
  }

  private async record(caller: IngestCaller, inputs: readonly IngestEventInput[], fieldOf: (index: number) => string) {
    const receivedAt = this.clock.now();
    const received = inputs.map((input, index): ReceivedCommand => {
      const field = fieldOf(index);
      const command = ingestCommand(input, field, receivedAt);
      return { command, field, ...(input.userToken == null ? {} : { token: { value: input.userToken, field: `${field}.userToken` } }) };
    });
    await this.verification.verify(caller.projectId, caller.scope, received);
    await this.knownProfiles.require(caller.projectId, received.flatMap(({ command, field }) => (command.profileId ? [{ profileId: command.profileId, field: `${field}.profileId` }] : [])));
    const commands = received.map(({ command }) => command);
    return { commands, result: await this.ingestEvents.execute(caller.projectId, commands) };
  }

  /**
   * A secret-key caller gets the event as stored (the one recorded first, for a repeated
   * messageId). A publishable-key caller never reads what it did not write: it gets back what it
   * sent, under the stored event's id, with the duplicate flag.
   */
  private async recordOne(caller: IngestCaller, input: IngestEventInput): Promise<RecordedEvent> {
    const { commands, result } = await this.record(caller, [input], () => 'input');
    const id = result.eventIds[0]!;
    const duplicate = result.inserted === 0;
    if (caller.scope === 'publishable') return Object.assign(eventFromCommand(id, caller.projectId, commands[0]!), { duplicate });
    // The first event of a repeated messageId may have left with an archived month: answer with this one then.
    const stored = await this.dataSource.getRepository(EventEntity).findOneBy({ id, projectId: caller.projectId });
    return Object.assign(stored ?? eventFromCommand(id, caller.projectId, commands[0]!), { duplicate });
  }

  async get(projectId: string, id: string): Promise<EventEntity> {
    const event = isUuid(id) ? await this.dataSource.getRepository(EventEntity).findOneBy({ id, projectId }) : null;
    if (!event) throw new EventError(EventErrorCode.EventNotFound, `No event ${id} in this project`, 'id');
    return event;
  }

  /** The project's events, newest first, keyset-paginated on (timestamp, id). */
  async list(projectId: string, query: EventPageQuery): Promise<Page<EventEntity>> {
    const filter = pageFilter(query, 2);
    const rows = (await this.dataSource.query(
      `SELECT * FROM event WHERE project_id = $1 AND ${filter.sql} ORDER BY "timestamp" DESC, id DESC LIMIT ${filter.limit}`,
      [projectId, ...filter.parameters],
    )) as EventRow[];
    return { rows: rows.slice(0, query.first).map(eventFromRow), hasNextPage: rows.length > query.first };
  }

  /**
   * One page of events for each of many profiles, in ONE query: a LATERAL sub-select per profile
   * walks the (project_id, profile_id, timestamp, id) index and stops after first + 1 rows, so
   * the cost does not grow with a profile's history (a row_number() window would rank it all).
   */
  async listForProfiles(projectId: string, profileIds: readonly string[], query: EventPageQuery): Promise<Page<EventEntity>[]> {
    const valid = profileIds.filter(isUuid);
    const filter = pageFilter(query, 3);
    const rows = valid.length
      ? ((await this.dataSource.query(
          `SELECT page.* FROM unnest($2::uuid[]) AS profile(id)
           CROSS JOIN LATERAL (
             SELECT * FROM event
             WHERE project_id = $1 AND profile_id = profile.id AND ${filter.sql}
             ORDER BY "timestamp" DESC, id DESC
             LIMIT ${filter.limit}
           ) page`,
          [projectId, valid, ...filter.parameters],
        )) as EventRow[])
      : [];
    const byProfile = new Map<string, EventEntity[]>();
    for (const row of rows) {
      const events = byProfile.get(row.profile_id!) ?? [];
      events.push(eventFromRow(row));
      byProfile.set(row.profile_id!, events);
    }
    return profileIds.map((id) => {
      const events = byProfile.get(id) ?? [];
      return { rows: events.slice(0, query.first), hasNextPage: events.length > query.first };
    });
  }

  /** Batch look-up for entity references, still scoped to the caller's project. */
  findMany(projectId: string, ids: readonly string[]): Promise<EventEntity[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return Promise.resolve([]);
    return this.dataSource.getRepository(EventEntity).findBy({ id: In(valid), projectId });
  }
}

/** The event a command describes, as the entity shape (for answers built from what a caller sent). */
function eventFromCommand(id: string, projectId: string, command: IngestEventCommand): EventEntity {
  return Object.assign(new EventEntity(), {
    id,
    projectId,
    profileId: null,
    messageId: command.messageId,
    type: command.type,
    name: command.name,
    userId: command.userId,
    anonymousId: command.anonymousId,
    properties: command.properties,
    context: command.context,
    timestamp: command.timestamp,
    sentAt: command.sentAt,
    receivedAt: command.receivedAt,
    verified: command.verified ?? false,
  });
}

/** Maps one GraphQL ingest input to the write path's command, refusing combinations the API does not accept. */
function ingestCommand(input: IngestEventInput, field: string, receivedAt: Date): IngestEventCommand {
  const invalid = (name: string, rule: string) => new EventError(EventErrorCode.InvalidEvent, `Invalid value for ${field}.${name}: ${rule}`, `${field}.${name}`);
  if (!input.profileId && !input.userId && !input.anonymousId) throw invalid('userId', 'one of profileId, userId or anonymousId is required');
  if (input.type === EventKind.TRACK && !input.name) throw invalid('name', 'a track event needs a name');
  if (input.type === EventKind.ALIAS && (!input.previousId || !input.userId)) throw invalid('previousId', 'alias needs previousId and userId');
  if (input.type === EventKind.GROUP && !input.groupId) throw invalid('groupId', 'group needs a groupId');
  const traits = input.traits ?? {};
  const properties = {
    [EventKind.TRACK]: input.properties ?? {},
    [EventKind.PAGE]: { ...(input.name ? { name: input.name } : {}), ...input.properties },
    [EventKind.SCREEN]: { ...(input.name ? { name: input.name } : {}), ...input.properties },
    [EventKind.IDENTIFY]: traits,
    [EventKind.GROUP]: { groupId: input.groupId, traits },
    [EventKind.ALIAS]: { previousId: input.previousId },
  }[input.type];
  return {
    messageId: input.messageId ?? timeOrderedUuid(),
    type: input.type,
    name: input.type === EventKind.TRACK ? input.name! : input.type,
    profileId: input.profileId ?? null,
    userId: input.userId ?? null,
    anonymousId: input.anonymousId ?? null,
    properties,
    traits: input.type === EventKind.IDENTIFY || input.type === EventKind.GROUP ? traits : null,
    previousId: input.type === EventKind.ALIAS ? input.previousId! : null,
    context: null,
    timestamp: input.timestamp ?? receivedAt,
    sentAt: null,
    receivedAt,
  };
}

/**
 * A page's filters and cursor as one SQL condition, and its LIMIT (first + 1, to tell whether a
 * next page exists), with parameters numbered from `from` (every filter always present, NULL when
 * not given, so the statement's text never varies).
 */
function pageFilter({ first, after, name, types, since, until, propertyEquals }: EventPageQuery, from: number): { sql: string; limit: string; parameters: unknown[] } {
  if (since && until && since >= until) throw new EventError(EventErrorCode.InvalidEvent, 'until: must be after since', 'until');
  const position = after ? decodeCursor(after) : null;
  const $ = (offset: number) => `$${from + offset}`;
  return {
    sql: `(${$(0)}::text IS NULL OR name = ${$(0)})
      AND (${$(1)}::text[] IS NULL OR type = ANY(${$(1)}))
      AND (${$(2)}::timestamptz IS NULL OR "timestamp" >= ${$(2)})
      AND (${$(3)}::timestamptz IS NULL OR "timestamp" < ${$(3)})
      AND (${$(4)}::jsonb IS NULL OR properties @> ${$(4)})
      AND (${$(5)}::timestamptz IS NULL OR ("timestamp", id) < (${$(5)}::timestamptz, ${$(6)}::uuid))`,
    limit: $(7),
    parameters: [
      name ?? null,
      types?.length ? types : null,
      since?.toISOString() ?? null,
      until?.toISOString() ?? null,
      propertyEquals ? JSON.stringify(propertyEquals) : null,
      position?.at.toISOString() ?? null,
      position?.id ?? null,
      first + 1,
    ],
  };
}
