import type { CallView } from '../calls/call-view.js';

/**
 * A participant's CallView in the signalling schema's shape: enum values by their GraphQL
 * names, nothing but the schema's fields (so nothing else can leak into a message).
 */
export function presentCall(view: CallView) {
  return {
    id: view.id,
    state: String(view.state).toUpperCase(),
    role: view.role,
    context: view.context,
    branding: view.branding ?? null,
    self: view.self,
    remote: view.remote,
    timeline: view.timeline.map((entry) => ({ state: String(entry.state).toUpperCase(), at: entry.at })),
    placedAt: view.placedAt,
    answeredAt: view.answeredAt ?? null,
    endedAt: view.endedAt ?? null,
    durationSeconds: view.durationSeconds ?? null,
    endReason: view.endReason ?? null,
    ringExpiresAt: view.ringExpiresAt ?? null,
  };
}
