import { Injectable } from '@nestjs/common';
import { groupByKeys, isUuid } from '@boomerang/platform/subgraph';
import type { CallClientReportEntity } from './call-client-report.entity.js';
import type { CallParticipantEntity } from './call-participant.entity.js';
import type { CallStateChangeEntity } from './call-state-change.entity.js';
import type { CallEntity } from './call.entity.js';
import { CallService } from './call.service.js';

/** One call as the GDPR export gives it: its row and its participant, timeline and report rows, as stored. */
export interface ExportedCall {
  id: string;
  callerProfileId: string;
  calleeProfileId: string;
  reason: string;
  reference: string | null;
  metadata: Record<string, unknown>;
  branding: Record<string, unknown> | null;
  state: string;
  placedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  ringExpiresAt: string | null;
  maxEndsAt: string | null;
  endReason: string | null;
  durationSeconds: number | null;
  createdAt: string;
  participants: {
    id: string;
    role: string;
    profileId: string;
    displayName: string;
    roleLabel: string | null;
    avatarUrl: string | null;
    proxyNumber: string;
    proxyExpiresAt: string | null;
  }[];
  timeline: { id: string; state: string; at: string; seq: string }[];
  reports: { id: string; role: string; kind: string; detail: string | null; at: string }[];
}

/** GDPR: the calls held on a profile, the same ones erasure deletes (made or received). */
@Injectable()
export class CallExport {
  constructor(private readonly calls: CallService) {}

  /** Every call the profile made or received, oldest first, with everything stored with it. */
  async ofProfile(projectId: string, profileId: string): Promise<ExportedCall[]> {
    if (!isUuid(profileId)) return [];
    const calls = (await this.calls.list(projectId, profileId)).reverse();
    if (calls.length === 0) return [];
    const ids = calls.map((call) => call.id);
    const [participants, timelines, reports] = await Promise.all([
      this.calls.participants(projectId, ids).then((rows) => groupByKeys(ids, rows, (row) => row.callId)),
      this.calls.timelines(projectId, ids).then((rows) => groupByKeys(ids, rows, (row) => row.callId)),
      this.calls.reports(projectId, ids).then((rows) => groupByKeys(ids, rows, (row) => row.callId)),
    ]);
    return calls.map((call, index) => exportedCall(call, participants[index]!, timelines[index]!, reports[index]!));
  }
}

const iso = (at: Date | null) => (at ? at.toISOString() : null);

function exportedCall(call: CallEntity, participants: CallParticipantEntity[], timeline: CallStateChangeEntity[], reports: CallClientReportEntity[]): ExportedCall {
  return {
    id: call.id,
    callerProfileId: call.callerProfileId,
    calleeProfileId: call.calleeProfileId,
    reason: call.reason,
    reference: call.reference,
    metadata: call.metadata,
    branding: call.branding as Record<string, unknown> | null,
    state: call.state,
    placedAt: call.placedAt.toISOString(),
    answeredAt: iso(call.answeredAt),
    endedAt: iso(call.endedAt),
    ringExpiresAt: iso(call.ringExpiresAt),
    maxEndsAt: iso(call.maxEndsAt),
    endReason: call.endReason,
    durationSeconds: call.durationSeconds,
    createdAt: call.createdAt.toISOString(),
    participants: participants.map((row) => ({
      id: row.id,
      role: row.role,
      profileId: row.profileId,
      displayName: row.displayName,
      roleLabel: row.roleLabel,
      avatarUrl: row.avatarUrl,
      proxyNumber: row.proxyNumber,
      proxyExpiresAt: iso(row.proxyExpiresAt),
    })),
    timeline: timeline.map((row) => ({ id: row.id, state: row.state, at: row.at.toISOString(), seq: row.seq })),
    reports: reports.map((row) => ({ id: row.id, role: row.role, kind: row.kind, detail: row.detail, at: row.at.toISOString() })),
  };
}
