import { randomUUID } from 'node:crypto';
import { headers as natsHeaders, type Msg } from '@nats-io/transport-node';
import { v7 as timeOrderedUuid } from 'uuid';
import { BackfillLeafHits, EventsIngested, ScanEventLeaves, STREAM_END_HEADER, type MessageOf } from '@boomerang/contracts';
import {
  addHit,
  emptyLeafState,
  encodeLeafHitRows,
  encodeLeafScanRows,
  evaluateLeaf,
  hitOf,
  hitSpecOf,
  scanDefaultMask,
  type EventRule,
  type HitSpec,
  type LeafHitRow,
  type LeafScanRow,
} from '@boomerang/audience';
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
 * specs). The caller adds the EVENTS stream. ScanEventLeaves too (`scans: false` leaves it
 * unanswered, as an events without it): each leaf's verdict by `evaluateLeaf` over a state of every hit.
 * `beforeBackfill` holds each BackfillLeafHits answer until it resolves (events ingested meanwhile are in it).
 */
export function serveEvents(sut: TestSubgraph, options: { scans?: boolean; beforeBackfill?: () => Promise<void> } = {}) {
  const stored: StoredEvent[] = [];
  const { nc, subjects } = sut.messaging;
  if (options.scans !== false)
    nc.subscribe(subjects.request(ScanEventLeaves.name), {
      callback: (_error, message) => {
        const request = ScanEventLeaves.request.parse(message.json());
        const rules = request.leaves as EventRule[];
        const atMs = Date.parse(request.at);
        const events = stored.filter((e) => e.projectId === request.projectId).sort((a, b) => a.at - b.at);
        const masks = new Map<string, number>();
        const profiles = [...new Set(events.map((e) => e.profileId))];
        rules.forEach((rule, bit) => {
          const leaf = { kind: 'event' as const, key: '', rule };
          const spec = hitSpecOf(leaf);
          for (const profileId of profiles) {
            const state = emptyLeafState();
            for (const event of events.filter((e) => e.profileId === profileId)) {
              const value = hitOf(spec, { name: event.name, timestampMs: event.at, properties: event.properties });
              if (value !== undefined) addHit(state, spec, event.at, value);
            }
            if (evaluateLeaf(leaf, state, atMs).matched) masks.set(profileId, (masks.get(profileId) ?? 0) | (1 << bit));
          }
        });
        const defaultMask = scanDefaultMask(rules);
        const rows: LeafScanRow[] = profiles
          .map((profileId) => ({ profileId, mask: masks.get(profileId) ?? 0 }))
          .filter((row) => row.mask !== defaultMask)
          .sort((a, b) => (a.profileId < b.profileId ? -1 : 1));
        nc.publish(message.reply!, encodeLeafScanRows(rows));
        const end = natsHeaders();
        end.set(STREAM_END_HEADER, 'true');
        nc.publish(message.reply!, JSON.stringify({ ok: true, rows: rows.length, snapshotAt: new Date().toISOString() }), { headers: end });
      },
    });
  nc.subscribe(subjects.request(BackfillLeafHits.name), {
    callback: (_error, message) => void answerBackfill(message),
  });

  const answerBackfill = async (message: Msg) => {
    {
      await options.beforeBackfill?.();
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
    }
  };

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
