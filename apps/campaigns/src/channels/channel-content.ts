import type { CampaignEntity } from '../campaigns/campaign.entity.js';
import { CampaignError, CampaignErrorCode } from '../campaigns/campaign.errors.js';
import { CampaignChannel } from '../campaigns/campaign.model.js';
import type { CampaignInAppInput } from '../in-app/dto/campaign-in-app.input.js';
import { inAppContentProblem, type InAppContent } from '../in-app/in-app-content.js';
import type { CampaignWebhookInput } from '../webhooks/dto/campaign-webhook.input.js';
import { newWebhookSecret, webhookTargetProblem, type WebhookTarget } from '../webhooks/webhook-target.js';

interface ChannelContentInput {
  channel: CampaignChannel;
  inApp?: CampaignInAppInput | null;
  webhook?: CampaignWebhookInput | null;
}

const invalid = (field: string, rule: string) => new CampaignError(CampaignErrorCode.InvalidDefinition, `Invalid value for ${field}: ${rule}`, field);

/**
 * The channel content of a campaign definition, checked: in-app content only on IN_APP campaigns,
 * a webhook only on WEBHOOK ones, each by its own rules. Throws naming the field and the rule.
 * A new webhook target gets its signing secret here.
 */
export function channelContentOf(input: ChannelContentInput, field = 'input'): { inApp: InAppContent | null; webhook: WebhookTarget | null } {
  if (input.inApp && input.channel !== CampaignChannel.IN_APP) throw invalid(`${field}.inApp`, 'only IN_APP campaigns show in-app content');
  if (input.webhook && input.channel !== CampaignChannel.WEBHOOK) throw invalid(`${field}.webhook`, 'only WEBHOOK campaigns call a webhook');
  let inApp: InAppContent | null = null;
  if (input.inApp) {
    const given = input.inApp;
    inApp = {
      title: given.title,
      body: given.body,
      imageUrl: given.imageUrl ?? null,
      layout: given.layout,
      buttons: (given.buttons ?? []).map((button) => ({ label: button.label, deepLink: button.deepLink })),
      custom: given.custom ?? {},
      expiresInHours: given.expiresInHours ?? null,
    };
    const problem = inAppContentProblem(inApp);
    if (problem) throw invalid(`${field}.inApp.${problem[0]}`, problem[1]);
  }
  let webhook: WebhookTarget | null = null;
  if (input.webhook) {
    const problem = webhookTargetProblem(input.webhook.url, input.webhook.custom);
    if (problem) throw invalid(`${field}.webhook.${problem[0]}`, problem[1]);
    webhook = { url: input.webhook.url, secret: newWebhookSecret(), custom: (input.webhook.custom ?? {}) as WebhookTarget['custom'] };
  }
  return { inApp, webhook };
}

/** What a campaign lacks before it can send on its channel: [field, message], or null when it is complete. */
export function missingChannelContent(campaign: Pick<CampaignEntity, 'channel' | 'templateId' | 'inApp' | 'webhook'>): [string, string] | null {
  switch (campaign.channel) {
    case CampaignChannel.EMAIL:
      return campaign.templateId ? null : ['email', 'An EMAIL campaign needs email.templateId before it is sent'];
    case CampaignChannel.IN_APP:
      return campaign.inApp ? null : ['inApp', 'An IN_APP campaign needs inApp content before it is sent'];
    case CampaignChannel.WEBHOOK:
      return campaign.webhook ? null : ['webhook', 'A WEBHOOK campaign needs webhook.url before it is sent'];
  }
}
