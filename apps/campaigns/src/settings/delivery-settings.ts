/** A project's rules for every campaign: holdout, quiet hours, caps. */
export interface DeliverySettings {
  projectId: string;
  /** Percent of the project's profiles (sticky per profile) never messaged by any campaign. */
  holdoutPercent: number;
  timeZone: string;
  /** Local `HH:MM` window in `timeZone`; the end is exclusive and may be on the next day (21:00–09:00). */
  quietHours: { start: string; end: string } | null;
  /** At most `max` emails per profile in any `days` days, across campaigns. */
  emailCap: { max: number; days: number } | null;
  /** At least this long between two messages to a profile. */
  minGapMinutes: number | null;
}

export const defaultDeliverySettings = (projectId: string): DeliverySettings => ({
  projectId,
  holdoutPercent: 0,
  timeZone: 'UTC',
  quietHours: null,
  emailCap: null,
  minGapMinutes: null,
});
