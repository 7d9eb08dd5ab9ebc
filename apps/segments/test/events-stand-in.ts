import { randomUUID } from 'node:crypto';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { v7 as timeOrderedUuid } from 'uuid';
import { BackfillLeafHits, EventsIngested, STREAM_END_HEADER, type MessageOf } from '@boomerang/contracts';
import { addHit, emptyLeafState, encodeLeafHitRows, hitOf, type HitSpec, type LeafHitRow } from '@boomerang/audience';
import type { TestSubgraph } from '@boomerang/platform/testing';

export interface StoredEvent {
  projectId: string;
  eventId: string;
  profileId: string;
  name: string;
  at: number;
  properties: Record<string, unknown>;
}

/**
 * Stands in for `events` on its two contracts with segments: EventsIngested on the EVENTS stream
 * (`ingest`), and the BackfillLeafHits stream answered from the events ingested so far (by the
 * audience language's own `hitOf`; events' SQL answers are held to the same semantics by its own
 * specs). The caller adds the EVENTS stream.
 */
export function serveEvents(sut: TestSubgraph) {
  const stored: StoredEvent[] = [];
  const { nc, subjects } = sut.messaging;
  nc.subscribe(subjects.request(BackfillLeafHits.name), {
    callback: (_error, message) => {
      const request = BackfillLeafHits.request.parse(message.json());
      const recentFromMs = Date.parse(request.recentFrom);
      const rows: LeafHitRow[] = [];
      request.leaves.forEach((spec, leaf) => {
        const since = spec.since ? Date.parse(spec.since) : -Infinity;
        const summaries = new Map<string, ReturnType<typeof emptyLeafState>>();
        for (const event of stored.filter((e) => e.projectId === request.projectId && e.at >= since).sort((a, b) => a.at - b.at)) {
          const value = hitOf(spec as HitSpec, { name: event.name, timestampMs: event.at, properties: event.properties });
          if (value === undefined) continue;
          if (parseInt(event.eventId.slice(0, 8) + event.eventId.slice(9, 13), 16) >= recentFromMs) {
            rows.push({ kind: 'recent', leaf, profileId: event.profileId, eventId: event.eventId, time: event.at, value });
            continue;
          }
          const state = summaries.get(event.profileId) ?? emptyLeafState();
          addHit(state, spec as HitSpec, event.at, value);
          summaries.set(event.profileId, state);
        }
        for (const [profileId, state] of summaries) rows.push({ kind: 'summary', leaf, profileId, ...state });
      });
      const snapshotAt = new Date().toISOString();
      nc.publish(message.reply!, encodeLeafHitRows(rows));
      const end = natsHeaders();
      end.set(STREAM_END_HEADER, 'true');
      nc.publish(message.reply!, JSON.stringify({ ok: true, rows: rows.length, snapshotAt }), { headers: end });
    },
  });

  /** Stores events as events would and publishes their EventsIngested. */
  const ingest = async (projectId: string, rows: { profileId: string; name: string; at: number; properties?: Record<string, unknown> }[]) => {
    const events = rows.map((row) => ({ projectId, eventId: timeOrderedUuid(), profileId: row.profileId, name: row.name, at: row.at, properties: row.properties ?? {} }));
    stored.push(...events);
    const body: MessageOf<typeof EventsIngested> = {
      projectId,
      occurredAt: new Date().toISOString(),
      events: events.map((event) => ({
        eventId: event.eventId,
        messageId: randomUUID(),
        profileId: event.profileId,
        name: event.name,
        timestamp: new Date(event.at).toISOString(),
        properties: event.properties,
        type: 'track',
      })),
    };
    await sut.messaging.js.publish(sut.messaging.subjects.subject(EventsIngested, projectId), JSON.stringify(body));
    return events;
  };

  return { stored, ingest };
}
