/**
 * Time zone and locale of a profile, from identify traits (CleverTap `Tz`, Segment `timezone`,
 * `locale`) or the identify call's context (`context.timezone`, `context.locale`); traits win.
 * Both are validated and canonicalised with Intl, so stored values are what Intl accepts back.
 */

/** An IANA time zone name (`Europe/Lisbon`, `UTC`) in the case Intl gives it; null when it is not one. Offsets are not names. */
export function canonicalTimeZone(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64 || /^[+-]/.test(value)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** A BCP 47 language tag in canonical form (`en_us` → `en-US`); null when it is not one. */
export function canonicalLocale(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return null;
  try {
    return Intl.getCanonicalLocales(value.replace(/_/g, '-'))[0] ?? null;
  } catch {
    return null;
  }
}

/** Trait names that set the time zone (first present wins) and the locale. */
export const TIME_ZONE_TRAITS = ['Tz', 'timezone'] as const;
export const LOCALE_TRAIT = 'locale';

export interface LocaleTraits {
  timeZone: string | null;
  locale: string | null;
  /** The traits that are not time zone or locale. */
  rest: Record<string, unknown>;
  /** Names of invalid values (`Tz`, `context.timezone`, …); values are not kept. */
  rejected: string[];
}

/** Splits time zone and locale from the other traits, falling back to the call's context. */
export function localeTraits(traits: Record<string, unknown>, context: Record<string, unknown> | undefined): LocaleTraits {
  const { Tz, timezone, locale, ...rest } = traits;
  const rejected: string[] = [];
  const pick = (candidates: [string, unknown][], canonical: (value: unknown) => string | null): string | null => {
    for (const [name, value] of candidates) {
      if (value === undefined || value === null) continue;
      const valid = canonical(value);
      if (valid) return valid;
      rejected.push(name);
    }
    return null;
  };
  const timeZone = pick(
    [
      ['Tz', Tz],
      ['timezone', timezone],
      ['context.timezone', context?.timezone],
    ],
    canonicalTimeZone,
  );
  const canonical = pick(
    [
      ['locale', locale],
      ['context.locale', context?.locale],
    ],
    canonicalLocale,
  );
  return { timeZone, locale: canonical, rest, rejected };
}
