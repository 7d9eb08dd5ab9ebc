import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { EmailEngagement, type MessageOf } from '@boomerang/contracts';
import { Clock, MessagingLifecycle } from '@boomerang/platform/subgraph';
import type { IngestEventCommand } from '../ingestion/ingest-event.command.js';
import { IngestEvents } from '../ingestion/ingest-events.use-case.js';
import { ProfileLinks } from '../profile-sync/profile-links.js';

type EmailEngagementBody = MessageOf<typeof EmailEngagement>;

/** Properties of email's report kept on the event; contact details (`address`) and free text naming the recipient stay in email. */
const KEPT_PROPERTIES = ['sendId', 'templateId', 'templateVersion', 'campaignId', 'journeyId', 'reason', 'url', 'linkIndex', 'bounceType', 'status', 'source'] as const;

/** The profiles trait that is email consent (profiles turns `MSG-email` into `consent.email`). */
export const EMAIL_CONSENT_TRAIT = 'MSG-email';

/**
 * Turns email's engagement reports into events through the IngestEvents write path: each one a
 * verified `track` named as email names it (`Email Sent` … `Email Complained`), message id =
 * the report's own, so a redelivery records nothing twice. An `Email Unsubscribed` also becomes a
 * verified identify with `MSG-email: false`, which profiles applies as the profile's email consent.
 */
@Injectable()
export class EmailEngagementConsumer {
  constructor(
    lifecycle: MessagingLifecycle,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ingestEvents: IngestEvents,
    private readonly profileLinks: ProfileLinks,
    private readonly clock: Clock,
  ) {
    lifecycle.register({ durable: 'events-email-engagement', contract: EmailEngagement, handle: (body) => this.record(body) });
  }

  async record(body: EmailEngagementBody): Promise<void> {
    // profiles finds the profile of an identify by its user or anonymous id, so the identify carries one the profile owns.
    const identity = body.event === 'Email Unsubscribed' ? await this.identityOf(body.projectId, body.profileId) : null;
    await this.ingestEvents.execute(body.projectId, emailEngagementEvents(body, this.clock.now(), identity));
  }

  private async identityOf(projectId: string, profileId: string): Promise<ProfileIdentity> {
    const { userIds, anonymousIds } = await this.profileLinks.linkedIds(this.dataSource.manager, projectId, profileId);
    return { userId: userIds.sort()[0] ?? null, anonymousId: userIds.length > 0 ? null : (anonymousIds.sort()[0] ?? null) };
  }
}

/** One id the profile is known by in profiles, for the identify an unsubscribe becomes. */
export interface ProfileIdentity {
  userId: string | null;
  anonymousId: string | null;
}

export function emailEngagementEvents(body: EmailEngagementBody, receivedAt: Date, identity: ProfileIdentity | null): IngestEventCommand[] {
  const timestamp = new Date(body.at);
  const properties: Record<string, unknown> = {};
  for (const key of KEPT_PROPERTIES) if (body.properties[key] !== undefined) properties[key] = body.properties[key];
  const event = (fields: Pick<IngestEventCommand, 'messageId' | 'type' | 'name' | 'properties' | 'traits'>): IngestEventCommand => ({
    ...fields,
    profileId: body.profileId,
    userId: null,
    anonymousId: null,
    previousId: null,
    context: null,
    timestamp,
    sentAt: null,
    receivedAt,
    // email's own record of what happened to its message, not a client's claim.
    verified: true,
  });
  const commands = [event({ messageId: body.messageId, type: 'track', name: body.event, properties, traits: null })];
  if (body.event === 'Email Unsubscribed') {
    const traits = { [EMAIL_CONSENT_TRAIT]: false };
    commands.push({ ...event({ messageId: `${body.messageId}:consent`, type: 'identify', name: 'identify', properties: traits, traits }), ...identity });
  }
  return commands;
}
