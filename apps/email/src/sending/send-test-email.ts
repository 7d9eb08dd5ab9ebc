import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { isEmail } from 'class-validator';
import { EMAIL_CONFIG, type EmailConfig } from '../email-config.js';
import type { ComposedEmail } from '../templates/email-composer.js';
import { EmailTemplateService } from '../templates/email-template.service.js';
import { SenderSettingsService } from './sender-settings.service.js';
import { SendingError, SendingErrorCode } from './sending.errors.js';
import { classifySmtpError } from './smtp-outcome.js';
import { SmtpTransports } from './smtp-transports.js';

export interface SendTestEmailCommand {
  templateId: string;
  to: string;
  /** Personalize for this profile (as a send would); absent: the profile's built-ins are null but `email` (= `to`), custom properties absent. */
  profileId?: string | null;
  version?: number | null;
  event?: Record<string, unknown>;
  campaign?: Record<string, unknown>;
}

/** The built-in profile fields, defined but empty, for a test email without a profile. */
const NO_PROFILE = { id: null, name: null, timeZone: null, locale: null };

export interface TestEmailResult {
  messageId: string;
  smtpResponse: string;
}

/**
 * Sends one rendering of a template to an address of the author's choice, now, through the
 * project's SMTP settings: subject marked `[Test]`, header `X-Boomerang-Test`. Not a send: no
 * email_send row, no suppression or consent check, no engagement events, no tracking.
 */
@Injectable()
export class SendTestEmail {
  constructor(
    @Inject(EMAIL_CONFIG) private readonly config: EmailConfig,
    private readonly templates: EmailTemplateService,
    private readonly settings: SenderSettingsService,
    private readonly transports: SmtpTransports,
  ) {}

  async execute(projectId: string, command: SendTestEmailCommand): Promise<TestEmailResult> {
    if (!isEmail(command.to)) throw new SendingError(SendingErrorCode.InvalidAddress, 'Invalid value for to: must be an email address', 'to');
    const version = await this.templates.version(projectId, command.templateId, command.version);
    const email: ComposedEmail = command.profileId
      ? await this.templates.preview(projectId, command.templateId, command.profileId, { version: command.version, event: command.event, campaign: command.campaign })
      : this.templates.composeOrFail(version, { profile: { ...NO_PROFILE, email: command.to }, event: command.event ?? {}, campaign: command.campaign ?? {} }, 'profileId');
    const sending = await this.settings.sendingProfile(projectId);
    if (!sending.smtpUrl) throw new SendingError(SendingErrorCode.NoSmtpServer, 'The project has no SMTP URL (setEmailSenderSettings) and there is no default', 'templateId');
    const messageId = `<test-${randomUUID()}@${this.config.EMAIL_MESSAGE_ID_DOMAIN}>`;
    try {
      const info = await this.transports.sendMail(projectId, { ...sending, smtpUrl: sending.smtpUrl }, {
        from: { name: version.fromName ?? sending.fromName ?? '', address: version.fromAddress ?? sending.fromAddress },
        to: command.to,
        replyTo: version.replyTo ?? sending.replyTo ?? undefined,
        subject: `[Test] ${email.subject}`,
        html: email.html,
        text: email.text,
        messageId,
        headers: { 'X-Boomerang-Test': 'true' },
      });
      return { messageId, smtpResponse: (info.response ?? '').slice(0, 500) };
    } catch (error) {
      const outcome = classifySmtpError(error);
      const code = outcome.kind === 'reject' ? SendingErrorCode.SmtpRefused : SendingErrorCode.SmtpUnavailable;
      throw new SendingError(code, `The SMTP server did not take the test email: ${outcome.detail}`, outcome.kind === 'reject' && outcome.hardBounce ? 'to' : 'templateId');
    }
  }
}
