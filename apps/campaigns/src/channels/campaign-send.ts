/** One message a campaign sends one profile, decided and recorded in `campaign_delivery` in the caller's transaction. */
export interface CampaignSend {
  profileId: string;
  occurrenceAt: Date;
  /** Unique per project: the channel sends it at most once (`campaign:<id>:<occurrence ms>:<profile>` for scheduled sends). */
  idempotencyKey: string;
  /** The A/B variant the profile was given, when the campaign has variants. */
  variant?: string | null;
  /** The triggering event's properties (triggered campaigns). */
  event?: Record<string, unknown> | null;
}
