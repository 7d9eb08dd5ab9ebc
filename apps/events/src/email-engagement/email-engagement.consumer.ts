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
 * Turns email's engagement reports into events through the IngestEvents write path: each fact a
 * verified `track` named as email names it (`Email Sent` … `Email Complained`), message id = the
 * fact's own, so a redelivery records nothing twice; a report's `also` facts (`Email Delivered`
 * beside `Email Sent`) become events of their own. An `Email Unsubscribed` also becomes a verified
 * identify with `MSG-email: false`, which profiles applies as the profile's email consent. The
 * reports fetched together go to IngestEvents as one call per project (a send's reports arrive by
 * the thousand during a campaign).
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
    lifecycle.register({
      durable: 'events-email-engagement',
      contract: EmailEngagement,
      handle: (body) => this.record([body]),
      handleBatch: (messages) => this.record(messages.map((message) => message.body)),
      maxBatchSize: 500,
    });
  }

  async record(bodies: readonly EmailEngagementBody[]): Promise<void> {
    const receivedAt = this.clock.now();
    const byProject = new Map<string, IngestEventCommand[]>();
    for (const body of bodies) {
      // profiles finds the profile of an identify by its user or anonymous id, so the identify carries one the profile owns.
      const unsubscribed = [body, ...(body.also ?? [])].some((fact) => fact.event === 'Email Unsubscribed');
      const identity = unsubscribed ? await this.identityOf(body.projectId, body.profileId) : null;
      const commands = byProject.get(body.projectId) ?? [];
      byProject.set(body.projectId, commands);
      commands.push(...emailEngagementEvents(body, receivedAt, identity));
    }
    await Promise.all([...byProject].map(([projectId, commands]) => this.ingestEvents.execute(projectId, commands)));
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

/** The events of a report: one track per fact (the report's own, then its `also`), and the consent identify of an unsubscribe. */
export function emailEngagementEvents(body: EmailEngagementBody, receivedAt: Date, identity: ProfileIdentity | null): IngestEventCommand[] {
  const timestamp = new Date(body.at);
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
  return [body, ...(body.also ?? [])].flatMap((fact) => {
    const properties: Record<string, unknown> = {};
    for (const key of KEPT_PROPERTIES) if (fact.properties[key] !== undefined) properties[key] = fact.properties[key];
    const commands = [event({ messageId: fact.messageId, type: 'track', name: fact.event, properties, traits: null })];
    if (fact.event === 'Email Unsubscribed') {
      const traits = { [EMAIL_CONSENT_TRAIT]: false };
      commands.push({ ...event({ messageId: `${fact.messageId}:consent`, type: 'identify', name: 'identify', properties: traits, traits }), ...identity });
    }
    return commands;
  });
}
