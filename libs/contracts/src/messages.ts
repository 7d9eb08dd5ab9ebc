import { z } from 'zod';
import { defineMessage } from './message.js';

const uuid = () => z.string().uuid();
const properties = z.record(z.string(), z.unknown());

export const ProjectCreated = defineMessage('workspace', 'project.created', z.object({ name: z.string().min(1) }));

export const ProfileCreated = defineMessage(
  'profiles',
  'created',
  z.object({ profileId: uuid(), externalId: z.string().nullable() }),
);

export const EventIngested = defineMessage(
  'events',
  'ingested',
  z.object({
    eventId: uuid(),
    messageId: z.string().min(1),
    profileId: uuid().nullable(),
    name: z.string().min(1),
    timestamp: z.string().datetime({ offset: true }),
    properties,
  }),
);

export const SegmentCreated = defineMessage('segments', 'created', z.object({ segmentId: uuid(), name: z.string() }));

export const CampaignCreated = defineMessage(
  'campaigns',
  'created',
  z.object({ campaignId: uuid(), audienceSegmentId: uuid().nullable() }),
);

export const JourneyCreated = defineMessage('journeys', 'created', z.object({ journeyId: uuid(), name: z.string() }));

export const EmailTemplateCreated = defineMessage(
  'email',
  'template.created',
  z.object({ templateId: uuid(), name: z.string() }),
);

export const CallPlaced = defineMessage(
  'voice',
  'call.placed',
  z.object({ callId: uuid(), callerProfileId: uuid(), calleeProfileId: uuid() }),
);
