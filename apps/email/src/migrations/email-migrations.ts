import { MessagingTables1763900000000, OutboxBatches1763900009000 } from '@boomerang/platform/messaging';
import { CreateEmailTemplates1763900000700 } from './1763900000700-create-email-templates.js';
import { EmailTemplateVersions1763900010700 } from './1763900010700-email-template-versions.js';
import { EmailProfiles1763900010800 } from './1763900010800-email-profiles.js';
import { EmailSending1763900010900 } from './1763900010900-email-sending.js';
import { EmailSendInFlight1763900011000 } from './1763900011000-email-send-in-flight.js';
import { EmailTracking1763900011100 } from './1763900011100-email-tracking.js';
import { EmailSuppressionList1763900011200 } from './1763900011200-email-suppression-list.js';
import { EmailSendHotMark1763900011400 } from './1763900011400-email-send-hot-mark.js';
import { EmailSendQueue1763900011500 } from './1763900011500-email-send-queue.js';
import { EmailSendComplaints1763900011600 } from './1763900011600-email-send-complaints.js';

/** email's migrations in the order they run (in a module of their own: specs run some of them without the app). */
export const EMAIL_MIGRATIONS = [
  MessagingTables1763900000000,
  OutboxBatches1763900009000,
  CreateEmailTemplates1763900000700,
  EmailTemplateVersions1763900010700,
  EmailProfiles1763900010800,
  EmailSending1763900010900,
  EmailSendInFlight1763900011000,
  EmailTracking1763900011100,
  EmailSuppressionList1763900011200,
  EmailSendHotMark1763900011400,
  EmailSendQueue1763900011500,
  EmailSendComplaints1763900011600,
];
