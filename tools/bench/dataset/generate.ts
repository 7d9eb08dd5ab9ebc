// The bench data set's rows, made deterministically from its parameters: a project's profiles and
// their events over the months before a fixed "now", as the apps store them.
//
// Activity follows the shape retention talks quote: most users churn within days (about 70 % are
// never seen after day 3, 90 % after day 30) and a few stay for months and visit often. Each profile gets
// a signup time (signups grow over the year), a lifetime and a visit rate; the events budget is
// shared in proportion to rate × active days, so heavy users hold most events (a power law).
// Sessions (App Opened / Session Started, screen or page views, product views, carts, Charged)
// happen in the profile's local daytime; Email Opened, App Uninstalled and a few custom events
// come on top. Events are ordered by time, as ingest would have written them.
import { hexDigits, mix32, Random, seedOf, uuid4, uuid7, Weighted } from './random.js';
import {
  APP_VERSIONS,
  CAMPAIGNS,
  CATEGORIES,
  COUNTRIES,
  COUPONS,
  EMAIL_DOMAINS,
  FIRST_NAMES,
  LAST_NAMES,
  PAGES,
  PLAN_WEIGHTS,
  PLANS,
  PLATFORM_WEIGHTS,
  PLATFORMS,
  PRODUCTS,
  SCREENS,
  SEARCH_TERMS,
  SOURCE_WEIGHTS,
  SOURCES,
  UNINSTALL_REASONS,
  type City,
  type Country,
  type Platform,
} from './world.js';

export interface DatasetParameters {
  profiles: number;
  events: number;
  /** The instant the data ends at (ISO 8601, UTC); every event is before it. */
  now: string;
  /** Calendar months of history before `now`. */
  months: number;
  seed: number;
}

export const DEFAULT_PARAMETERS: DatasetParameters = {
  profiles: 1_000_000,
  events: 10_000_000,
  now: '2026-12-01T00:00:00.000Z',
  months: 12,
  seed: 1,
};

export const DAY_MS = 86_400_000;

/** Bumped whenever the rows made from the same parameters change: a data set loaded by another version is loaded again. */
export const GENERATOR_VERSION = 1;

/** The project the rows belong to: one per seed. */
export function projectIdOf(parameters: DatasetParameters): string {
  return `b3c40000-0000-4000-8000-${(parameters.seed >>> 0).toString(16).padStart(12, '0')}`;
}

/** The first instant of the history: `months` calendar months before `now` (UTC). */
export function startOf(parameters: DatasetParameters): Date {
  const now = new Date(parameters.now);
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - parameters.months, now.getUTCDate(), now.getUTCHours(), now.getUTCMinutes()));
}

export const EventKind = {
  Identify: 0,
  AppOpened: 1,
  SessionStarted: 2,
  ScreenViewed: 3,
  PageViewed: 4,
  ProductViewed: 5,
  AddedToCart: 6,
  Charged: 7,
  EmailOpened: 8,
  AppUninstalled: 9,
  Searched: 10,
  CouponApplied: 11,
  AddedToWishlist: 12,
  ReferralSent: 13,
  RatingSubmitted: 14,
} as const;

/** Stored `name` of each kind (identify calls are stored as `identify`, as ingest stores them). */
export const EVENT_NAMES = [
  'identify',
  'App Opened',
  'Session Started',
  'Screen Viewed',
  'Page Viewed',
  'Product Viewed',
  'Added To Cart',
  'Charged',
  'Email Opened',
  'App Uninstalled',
  'Searched',
  'Coupon Applied',
  'Added To Wishlist',
  'Referral Sent',
  'Rating Submitted',
] as const;

/** Random streams: each concern draws from its own, so changing one leaves the others' rows alone. */
const Stream = { Profile: 1, Lifetime: 2, Identified: 3, Events: 4, Ids: 5, Referrer: 6 } as const;

/** How long profiles stay (days), with their shares: 70 % gone within 3 days, 90 % within 30. */
const LIFETIMES = [
  { share: 0.45, min: 0.001, max: 1, perDay: [1, 3] },
  { share: 0.25, min: 1, max: 3, perDay: [0.7, 2] },
  { share: 0.2, min: 3, max: 30, perDay: [0.2, 1] },
  { share: 0.07, min: 30, max: 180, perDay: [0.1, 0.8] },
  { share: 0.03, min: 180, max: 500, perDay: [0.5, 3] },
] as const;

/** Relative activity per local hour (0–23): quiet nights, a morning rise, an evening peak. */
const HOURS = new Weighted(
  Array.from({ length: 24 }, (_, hour) => hour),
  [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 3.5, 4, 4, 4, 4.2, 4, 3.8, 3.8, 4, 4.5, 5.5, 6.5, 7, 6.5, 4.5, 2.5],
);
const COUNTRY_TABLE = new Weighted(COUNTRIES, COUNTRIES.map((country) => country.weight));
const PLAN_TABLE = new Weighted(PLANS, PLAN_WEIGHTS);
const SOURCE_TABLE = new Weighted(SOURCES, SOURCE_WEIGHTS);
const PLATFORM_TABLE = new Weighted(PLATFORMS, PLATFORM_WEIGHTS);
/** Signups grow over the year: the last month sees (1 + GROWTH) times the first's. */
const GROWTH = 1.5;

const ascii = (text: string) => text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

export interface GeneratedProfile {
  index: number;
  id: string;
  anonymousId: string;
  /** The product's user id; null for visitors never identified. */
  externalId: string | null;
  email: string | null;
  phone: string | null;
  name: string | null;
  platform: Platform;
  country: Country;
  city: City;
  timeZone: string | null;
  locale: string | null;
  properties: Record<string, string | number>;
  consent: Record<string, { subscribed?: boolean; dnd?: boolean; updatedAt: string }>;
  /** Signup (first seen), ms. */
  createdAt: number;
  /** The end of the profile's active life, ms (at most `now`). */
  activeUntil: number;
  /** Visits per active day. */
  visitsPerDay: number;
}

/** Per-profile facts the event pass needs, in typed arrays (1M profiles ≈ 40 MB). */
interface ProfileTable {
  ids: string[];
  anonymousIds: string[];
  createdAt: Float64Array;
  activeUntil: Float64Array;
  weight: Float64Array;
  /** Index in COUNTRIES. */
  country: Uint8Array;
  /** Local offset from UTC, minutes. */
  offset: Int16Array;
  /** PROFILE_* bits. */
  flags: Uint8Array;
  /** Index of the SDK context string (CONTEXTS). */
  context: Uint16Array;
}

const PROFILE_IDENTIFIED = 1;
const PROFILE_EMAIL_SUBSCRIBED = 2;
const PROFILE_MOBILE = 4;
const PROFILE_IOS = 8;

/** Events in time order, as parallel typed arrays (10M events ≈ 190 MB). */
export interface EventPlan {
  count: number;
  time: Float64Array;
  profile: Uint32Array;
  kind: Uint8Array;
  /** EVENT_* bits. */
  flags: Uint8Array;
  /** The session's (or the event's) random seed: its properties come from it. */
  seed: Uint32Array;
  /** Ordinal of the event among its session's events of the same kind. */
  ordinal: Uint8Array;
}

/** Sent before the profile identified (no user id). */
const EVENT_ANONYMOUS = 1;

export class DatasetGenerator {
  readonly projectId: string;
  readonly start: number;
  readonly now: number;
  private table?: ProfileTable;
  private plan?: EventPlan;
  private readonly contexts: string[] = [];
  private readonly contextIndex = new Map<string, number>();

  constructor(readonly parameters: DatasetParameters) {
    this.projectId = projectIdOf(parameters);
    this.start = startOf(parameters).getTime();
    this.now = new Date(parameters.now).getTime();
  }

  /** Profile i, the same on every call (a pure function of the seed and i). Profiles are in signup order. */
  profileAt(index: number): GeneratedProfile {
    const { seed, profiles } = this.parameters;
    const random = new Random(seedOf(seed, Stream.Profile, index));
    const platform = PLATFORM_TABLE.draw(random);
    const country = COUNTRY_TABLE.draw(random);
    const city = random.pick(country.cities);
    const locale = random.chance(0.95) ? random.pick(country.locales) : null;
    const timeZone = random.chance(0.95) ? city.timeZone : null;
    const createdAt = this.signupTime(index, profiles, random, city.offset);
    const life = this.lifetimeOf(index);
    const lifetimeDays = random.logUniform(life.min, life.max);
    const activeUntil = Math.min(createdAt + lifetimeDays * DAY_MS, this.now - 1);
    const visitsPerDay = random.logUniform(life.perDay[0], life.perDay[1]);
    const identified = this.identifiedAt(index);
    const anonymousId = uuid4(random);
    const properties: Record<string, string | number> = { country: country.code, city: city.name, platform };
    const consent: GeneratedProfile['consent'] = {};
    const stamp = new Date(createdAt).toISOString();
    let externalId: string | null = null;
    let email: string | null = null;
    let phone: string | null = null;
    let name: string | null = null;
    if (identified) {
      externalId = `user-${index}`;
      const first = random.pick(FIRST_NAMES);
      const last = random.pick(LAST_NAMES);
      if (random.chance(0.85)) name = `${first} ${last}`;
      if (random.chance(0.8)) email = `${ascii(first)}.${ascii(last)}${index}@${random.pick(EMAIL_DOMAINS)}`;
      if (random.chance(0.55)) phone = `${country.dialCode}${7_000_000_000 + index}`;
      properties.plan = PLAN_TABLE.draw(random);
      const source = SOURCE_TABLE.draw(random);
      properties.acquisition_source = source;
      if (random.chance(0.85)) properties.age = Math.min(75, 18 + Math.floor(random.exponential(12)));
      if (source === 'referral' && index > 0) properties.referrer = `user-${this.referrerOf(index)}`;
      if (platform !== 'web') properties.app_version = random.pick(APP_VERSIONS);
      if (email) consent.email = { subscribed: random.chance(0.8), updatedAt: stamp };
      if (phone) {
        consent.sms = { subscribed: random.chance(0.5), updatedAt: stamp };
        consent.whatsapp = { subscribed: random.chance(0.4), updatedAt: stamp };
        consent.phone = { dnd: random.chance(0.1), updatedAt: stamp };
      }
      if (platform !== 'web') consent.push = { subscribed: random.chance(0.7), updatedAt: stamp };
    }
    return {
      index,
      id: uuid4(random),
      anonymousId,
      externalId,
      email,
      phone,
      name,
      platform,
      country,
      city,
      timeZone,
      locale,
      properties,
      consent,
      createdAt,
      activeUntil,
      visitsPerDay,
    };
  }

  /** Stratified over the profiles' order, so profile i signs up before profile i + 1's day. */
  private signupTime(index: number, profiles: number, random: Random, offsetMinutes: number): number {
    const share = (index + random.next()) / profiles;
    // Inverse of the CDF of a density growing linearly by GROWTH over the period.
    const x = (-1 + Math.sqrt(1 + 2 * GROWTH * share * (1 + GROWTH / 2))) / GROWTH;
    return this.localDaytime(this.start + x * (this.now - this.start), random, offsetMinutes, this.start, this.now - 1);
  }

  /** The time of day at `around`'s local date moved to a daytime hour (kept within [from, to]). */
  private localDaytime(around: number, random: Random, offsetMinutes: number, from: number, to: number): number {
    const offset = offsetMinutes * 60_000;
    const localMidnight = Math.floor((around + offset) / DAY_MS) * DAY_MS - offset;
    const time = Math.floor(localMidnight + HOURS.draw(random) * 3_600_000 + random.next() * 3_600_000);
    return time >= from && time <= to ? time : Math.floor(around);
  }

  private lifetimeOf(index: number): (typeof LIFETIMES)[number] {
    let u = mix32(seedOf(this.parameters.seed, Stream.Lifetime, index)) / 4294967296;
    for (const life of LIFETIMES) {
      if (u < life.share) return life;
      u -= life.share;
    }
    return LIFETIMES[LIFETIMES.length - 1]!;
  }

  /** Short-lived visitors identify less often; a pure function of the index, so referrers can be chosen among the identified. */
  identifiedAt(index: number): boolean {
    const shortLived = this.lifetimeOf(index).max <= 3;
    return mix32(seedOf(this.parameters.seed, Stream.Identified, index)) / 4294967296 < (shortLived ? 0.65 : 0.9);
  }

  /** An identified profile that signed up before `index`. */
  private referrerOf(index: number): number {
    const random = new Random(seedOf(this.parameters.seed, Stream.Referrer, index));
    let candidate = 0;
    for (let attempt = 0; attempt < 8; attempt++) {
      candidate = random.int(0, index - 1);
      if (this.identifiedAt(candidate)) return candidate;
    }
    return candidate;
  }

  /** Pass 1: the per-profile facts the events are made from. */
  profileTable(): ProfileTable {
    if (this.table) return this.table;
    const n = this.parameters.profiles;
    const table: ProfileTable = {
      ids: new Array<string>(n),
      anonymousIds: new Array<string>(n),
      createdAt: new Float64Array(n),
      activeUntil: new Float64Array(n),
      weight: new Float64Array(n),
      country: new Uint8Array(n),
      offset: new Int16Array(n),
      flags: new Uint8Array(n),
      context: new Uint16Array(n),
    };
    for (let i = 0; i < n; i++) {
      const profile = this.profileAt(i);
      table.ids[i] = profile.id;
      table.anonymousIds[i] = profile.anonymousId;
      table.createdAt[i] = profile.createdAt;
      table.activeUntil[i] = profile.activeUntil;
      table.weight[i] = 1 + (profile.visitsPerDay * (profile.activeUntil - profile.createdAt)) / DAY_MS;
      table.country[i] = COUNTRIES.indexOf(profile.country);
      table.offset[i] = profile.city.offset;
      table.flags[i] =
        (profile.externalId ? PROFILE_IDENTIFIED : 0) |
        (profile.consent.email?.subscribed ? PROFILE_EMAIL_SUBSCRIBED : 0) |
        (profile.platform !== 'web' ? PROFILE_MOBILE : 0) |
        (profile.platform === 'ios' ? PROFILE_IOS : 0);
      table.context[i] = this.contextOf(profile);
    }
    this.table = table;
    return table;
  }

  private contextOf(profile: GeneratedProfile): number {
    const library =
      profile.platform === 'web'
        ? { name: 'analytics.js', version: 'npm:next-1.84.3' }
        : profile.platform === 'ios'
          ? { name: 'analytics-swift', version: '1.7.3' }
          : { name: 'analytics-kotlin', version: '1.19.1' };
    const context = JSON.stringify({
      library,
      ...(profile.platform === 'web' ? {} : { os: { name: profile.platform === 'ios' ? 'iOS' : 'Android' } }),
      ...(profile.locale ? { locale: profile.locale } : {}),
      ...(profile.timeZone ? { timezone: profile.timeZone } : {}),
    });
    let index = this.contextIndex.get(context);
    if (index === undefined) {
      index = this.contexts.push(context) - 1;
      this.contextIndex.set(context, index);
    }
    return index;
  }

  /**
   * Each profile's number of events: at least one for every profile (when there are enough), the
   * rest shared in proportion to its weight, rounded so they add up to `events` exactly.
   */
  eventCounts(): Uint32Array {
    const { weight } = this.profileTable();
    const n = this.parameters.profiles;
    const total = this.parameters.events;
    const counts = new Uint32Array(n);
    const base = total >= n ? 1 : 0;
    const rest = total - base * n;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += weight[i]!;
    let cumulative = 0;
    let given = 0;
    for (let i = 0; i < n; i++) {
      cumulative += weight[i]!;
      const upTo = Math.round((rest * cumulative) / sum);
      counts[i] = base + upTo - given;
      given = upTo;
    }
    return counts;
  }

  /** Pass 2: every event, in time order. */
  events(): EventPlan {
    if (this.plan) return this.plan;
    const table = this.profileTable();
    const counts = this.eventCounts();
    const total = this.parameters.events;
    const unsorted: EventPlan = {
      count: total,
      time: new Float64Array(total),
      profile: new Uint32Array(total),
      kind: new Uint8Array(total),
      flags: new Uint8Array(total),
      seed: new Uint32Array(total),
      ordinal: new Uint8Array(total),
    };
    let next = 0;
    const push = (time: number, profile: number, kind: number, flags: number, seed: number, ordinal: number) => {
      unsorted.time[next] = Math.min(Math.floor(time), this.now - 1);
      unsorted.profile[next] = profile;
      unsorted.kind[next] = kind;
      unsorted.flags[next] = flags;
      unsorted.seed[next] = seed;
      unsorted.ordinal[next] = Math.min(ordinal, 255);
      next++;
    };
    const session: number[] = [];
    for (let i = 0; i < this.parameters.profiles; i++) {
      let remaining = counts[i]!;
      if (remaining === 0) continue;
      const random = new Random(seedOf(this.parameters.seed, Stream.Events, i));
      const flags = table.flags[i]!;
      const identified = (flags & PROFILE_IDENTIFIED) !== 0;
      const mobile = (flags & PROFILE_MOBILE) !== 0;
      const createdAt = table.createdAt[i]!;
      const until = table.activeUntil[i]!;
      const offset = table.offset[i]!;
      // Churned app users: some uninstall within days of their last visit (SDK or push feedback).
      if (mobile && remaining >= 3 && until < this.now - 14 * DAY_MS && random.chance(0.4)) {
        push(Math.min(until + random.exponential(3 * DAY_MS), this.now - 1), i, EventKind.AppUninstalled, identified ? 0 : EVENT_ANONYMOUS, random.next32(), 0);
        remaining--;
      }
      // Campaign emails keep being opened for a while after the last visit.
      if (flags & PROFILE_EMAIL_SUBSCRIBED) {
        const opens = Math.min(remaining - 1, Math.round(remaining * 0.06 * (0.5 + random.next())));
        const openUntil = Math.min(until + 30 * DAY_MS, this.now - 1);
        for (let k = 0; k < opens; k++) {
          push(this.localDaytime(createdAt + random.next() * (openUntil - createdAt), random, offset, createdAt, openUntil), i, EventKind.EmailOpened, 0, random.next32(), 0);
        }
        remaining -= Math.max(0, opens);
      }
      let first = true;
      while (remaining > 0) {
        let time = first ? createdAt : this.localDaytime(createdAt + random.next() * (until - createdAt), random, offset, createdAt, until);
        const seed = random.next32();
        buildSession(session, random, mobile, first && identified);
        let anonymous = !identified || first;
        const ordinals = new Uint8Array(EVENT_NAMES.length);
        for (const kind of session) {
          if (remaining === 0) break;
          if (kind === EventKind.Identify) anonymous = false;
          // Charged comes from the backend (a secret key) for identified users: never anonymous.
          const eventFlags = anonymous && !(kind === EventKind.Charged && identified) ? EVENT_ANONYMOUS : 0;
          push(time, i, kind, eventFlags, seed, ordinals[kind]!++);
          remaining--;
          time += 2000 + random.exponential(40_000);
        }
        first = false;
      }
    }
    this.plan = sortByTime(unsorted, this.start, this.now);
    return this.plan;
  }

  /** The last event's time per profile (its `updated_at`), or its signup when it has none. */
  lastSeen(): Float64Array {
    const plan = this.events();
    const last = Float64Array.from(this.profileTable().createdAt);
    for (let k = 0; k < plan.count; k++) {
      const profile = plan.profile[k]!;
      if (plan.time[k]! > last[profile]!) last[profile] = plan.time[k]!;
    }
    return last;
  }

  /** An emitter of the events' COPY rows in time order, from `events()`; its ids are drawn in that order. */
  eventRows(): EventRows {
    return new EventRows(this, this.events(), this.profileTable(), this.contexts);
  }
}

/** One session's event kinds, in order (reusing `into`). */
function buildSession(into: number[], random: Random, mobile: boolean, identifies: boolean): void {
  into.length = 0;
  into.push(mobile ? EventKind.AppOpened : EventKind.SessionStarted);
  if (identifies) into.push(EventKind.Identify);
  if (random.chance(0.15)) into.push(EventKind.Searched);
  const views = 1 + random.geometric(0.45);
  for (let v = 0; v < views; v++) into.push(mobile ? EventKind.ScreenViewed : EventKind.PageViewed);
  if (random.chance(0.55)) {
    const products = 1 + random.geometric(0.5);
    for (let p = 0; p < products; p++) into.push(EventKind.ProductViewed);
    if (random.chance(0.05)) into.push(EventKind.AddedToWishlist);
    if (random.chance(0.4)) {
      into.push(EventKind.AddedToCart);
      if (random.chance(0.6)) {
        if (random.chance(0.2)) into.push(EventKind.CouponApplied);
        into.push(EventKind.Charged);
      }
    }
  }
  if (random.chance(0.02)) into.push(EventKind.ReferralSent);
  if (random.chance(0.02)) into.push(EventKind.RatingSubmitted);
}

/**
 * The plan in time order: a counting sort by day, then each day's events by time (as one numeric
 * sort of time-in-day × 2^24 + position, exact in a double), ties kept in generation order.
 */
function sortByTime(plan: EventPlan, start: number, now: number): EventPlan {
  const days = Math.ceil((now - start) / DAY_MS) + 1;
  const dayOf = (k: number) => Math.floor((plan.time[k]! - start) / DAY_MS);
  const firsts = new Uint32Array(days + 1);
  for (let k = 0; k < plan.count; k++) firsts[dayOf(k) + 1]!++;
  for (let d = 0; d < days; d++) firsts[d + 1]! += firsts[d]!;
  const order = new Uint32Array(plan.count);
  const fill = firsts.slice(0, days);
  for (let k = 0; k < plan.count; k++) order[fill[dayOf(k)]!++] = k;
  for (let d = 0; d < days; d++) {
    const from = firsts[d]!;
    const to = firsts[d + 1]!;
    if (to - from < 2) continue;
    const dayStart = start + d * DAY_MS;
    const keys = new Float64Array(to - from);
    for (let j = 0; j < keys.length; j++) keys[j] = (plan.time[order[from + j]!]! - dayStart) * 16_777_216 + j;
    keys.sort();
    const day = order.slice(from, to);
    for (let j = 0; j < keys.length; j++) order[from + j] = day[keys[j]! % 16_777_216]!;
  }
  const sorted: EventPlan = {
    count: plan.count,
    time: new Float64Array(plan.count),
    profile: new Uint32Array(plan.count),
    kind: new Uint8Array(plan.count),
    flags: new Uint8Array(plan.count),
    seed: new Uint32Array(plan.count),
    ordinal: new Uint8Array(plan.count),
  };
  for (let j = 0; j < plan.count; j++) {
    const k = order[j]!;
    sorted.time[j] = plan.time[k]!;
    sorted.profile[j] = plan.profile[k]!;
    sorted.kind[j] = plan.kind[k]!;
    sorted.flags[j] = plan.flags[k]!;
    sorted.seed[j] = plan.seed[k]!;
    sorted.ordinal[j] = plan.ordinal[k]!;
  }
  return sorted;
}

/** COPY text: backslash, tab, newline and carriage return escaped. */
export function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : value;
}

export const NULL = '\\N';

const PAD2 = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));

/** `Date#toISOString` for whole milliseconds, several times faster (the date part is kept per day). */
export function isoFormatter(): (time: number) => string {
  let day = NaN;
  let prefix = '';
  return (time) => {
    const today = Math.floor(time / DAY_MS);
    if (today !== day) {
      day = today;
      prefix = new Date(today * DAY_MS).toISOString().slice(0, 11);
    }
    let rest = time - today * DAY_MS;
    const hours = Math.floor(rest / 3_600_000);
    rest -= hours * 3_600_000;
    const minutes = Math.floor(rest / 60_000);
    rest -= minutes * 60_000;
    const seconds = Math.floor(rest / 1000);
    return `${prefix}${PAD2[hours]}:${PAD2[minutes]}:${PAD2[seconds]}.${PAD3[rest - seconds * 1000]}Z`;
  };
}

/** Successive well-spread numbers from a seed (event properties: cheap, and the same for the same seed). */
class Draws {
  constructor(private state: number) {}

  next(): number {
    this.state = mix32((this.state + 0x6d2b79f5) >>> 0);
    return this.state;
  }

  below(n: number): number {
    return this.next() % n;
  }

  unit(): number {
    return this.next() / 4294967296;
  }
}

const productCategory = (product: number) => CATEGORIES[product % CATEGORIES.length]!;
const productPrice = (product: number, country: Country) => round2(country.orderValue * 0.6 * (0.3 + (mix32(product + 7919) % 1000) / 400));
const round2 = (value: number) => Math.round(value * 100) / 100;
const sku = (product: number) => `SKU-${String(product).padStart(5, '0')}`;
const productOf = (seed: number, ordinal: number) => mix32((seed ^ Math.imul(ordinal + 1, 0x9e3779b1)) >>> 0) % PRODUCTS;

/** Formats the plan's events as `COPY event` and `COPY event_message_id` rows, in order. */
export class EventRows {
  static readonly EVENT_COLUMNS =
    'id, project_id, profile_id, message_id, type, name, user_id, anonymous_id, properties, context, "timestamp", sent_at, received_at, verified';
  static readonly CLAIM_COLUMNS = 'project_id, message_id, event_id';

  private readonly ids: Random;
  private readonly iso = isoFormatter();
  private readonly serverContext = JSON.stringify({ library: { name: '@segment/analytics-node', version: '3.1.0' } });
  private position = 0;

  constructor(
    private readonly generator: DatasetGenerator,
    private readonly plan: EventPlan,
    private readonly table: ProfileTable,
    private readonly contexts: readonly string[],
  ) {
    this.ids = new Random(seedOf(generator.parameters.seed, Stream.Ids));
  }

  get done(): boolean {
    return this.position >= this.plan.count;
  }

  /**
   * The next `count` events' rows (fewer at the end), as COPY text: `event` rows and their
   * `event_message_id` claims, each row ending with a newline. Returned as Buffers, so the many
   * small strings a chunk is made of die young (at 10M rows, holding them cost more in garbage
   * collection than making them).
   */
  take(count: number): { events: Buffer; claims: Buffer; rows: number } {
    let events = '';
    let claims = '';
    const end = Math.min(this.plan.count, this.position + count);
    const projectId = this.generator.projectId;
    for (let k = this.position; k < end; k++) {
      const profile = this.plan.profile[k]!;
      const kind = this.plan.kind[k]!;
      const time = this.plan.time[k]!;
      const flags = this.table.flags[profile]!;
      const identified = (flags & PROFILE_IDENTIFIED) !== 0;
      const server = kind === EventKind.Charged && identified;
      const mobile = (flags & PROFILE_MOBILE) !== 0 && !server;
      // Mobile SDKs flush in batches (seconds, sometimes hours offline); browsers send at once.
      const delay = mobile ? (this.ids.next() < 0.05 ? this.ids.exponential(7_200_000) : 1000 + this.ids.next() * 29_000) : 80 + this.ids.next() * 1500;
      const receivedAt = Math.floor(time + delay);
      const id = uuid7(receivedAt, this.ids);
      const messageId = server
        ? `node-next-${receivedAt}-${uuid4(this.ids)}`
        : mobile
          ? flags & PROFILE_IOS
            ? uuid4(this.ids).toUpperCase()
            : uuid4(this.ids)
          : `ajs-next-${hexDigits(this.ids, 32)}`;
      const anonymous = (this.plan.flags[k]! & EVENT_ANONYMOUS) !== 0;
      const userId = anonymous ? NULL : `user-${profile}`;
      const anonymousId = server ? NULL : this.table.anonymousIds[profile]!;
      const context = server ? this.serverContext : this.contexts[this.table.context[profile]!]!;
      events += `${id}\t${projectId}\t${this.table.ids[profile]}\t${messageId}\t${kind === EventKind.Identify ? 'identify' : 'track'}\t${EVENT_NAMES[kind]}\t${userId}\t${anonymousId}\t${copyText(
          this.properties(k, profile),
        )}\t${copyText(context)}\t${this.iso(time)}\t${this.iso(receivedAt - 20 - (receivedAt % 180))}\t${this.iso(receivedAt)}\t${server ? 't' : 'f'}\n`;
      claims += `${projectId}\t${messageId}\t${id}\n`;
    }
    const rows = end - this.position;
    this.position = end;
    return { events: Buffer.from(events), claims: Buffer.from(claims), rows };
  }

  private properties(k: number, profile: number): string {
    const kind = this.plan.kind[k]!;
    const seed = this.plan.seed[k]!;
    const ordinal = this.plan.ordinal[k]!;
    const country = COUNTRIES[this.table.country[profile]!]!;
    const draws = new Draws((seed ^ Math.imul(kind * 256 + ordinal + 1, 0x85ebca6b)) >>> 0);
    switch (kind) {
      case EventKind.Identify: {
        const traits = this.generator.profileAt(profile);
        return JSON.stringify({
          ...(traits.email ? { email: traits.email } : {}),
          ...(traits.name ? { name: traits.name } : {}),
          ...traits.properties,
        });
      }
      case EventKind.AppOpened:
        return JSON.stringify({ from_background: draws.unit() < 0.6, version: APP_VERSIONS[draws.below(APP_VERSIONS.length)] });
      case EventKind.SessionStarted:
        return JSON.stringify({ landing_page: PAGES[draws.below(PAGES.length)] });
      case EventKind.ScreenViewed:
        return JSON.stringify({ name: SCREENS[draws.below(SCREENS.length)] });
      case EventKind.PageViewed: {
        const path = PAGES[draws.below(PAGES.length)]!;
        return JSON.stringify({ path, url: `https://shop.example.com${path}` });
      }
      case EventKind.ProductViewed:
      case EventKind.AddedToWishlist: {
        const product = productOf(seed, kind === EventKind.ProductViewed ? ordinal : 0);
        return JSON.stringify({ product_id: sku(product), category: productCategory(product), price: productPrice(product, country), currency: country.currency });
      }
      case EventKind.AddedToCart: {
        const product = productOf(seed, 0);
        return JSON.stringify({
          product_id: sku(product),
          category: productCategory(product),
          price: productPrice(product, country),
          currency: country.currency,
          quantity: 1 + draws.below(3),
        });
      }
      case EventKind.Charged: {
        const product = productOf(seed, 0);
        const items = 1 + draws.below(3);
        const amount = round2(productPrice(product, country) * items * (0.9 + draws.unit() * 0.3));
        // Some sources send amounts as decimal strings.
        return JSON.stringify({
          order_id: `ord_${(seed >>> 0).toString(36)}${k.toString(36)}`,
          Amount: draws.unit() < 0.15 ? amount.toFixed(2) : amount,
          currency: country.currency,
          category: productCategory(product),
          items,
          payment_method: ['upi', 'card', 'wallet', 'cod', 'netbanking'][draws.below(5)],
        });
      }
      case EventKind.EmailOpened:
        return JSON.stringify({ campaign_id: `cmp_${String(draws.below(CAMPAIGNS)).padStart(4, '0')}`, mailbox_provider: EMAIL_DOMAINS[draws.below(EMAIL_DOMAINS.length)] });
      case EventKind.AppUninstalled:
        return JSON.stringify({ source: UNINSTALL_REASONS[draws.below(UNINSTALL_REASONS.length)] });
      case EventKind.Searched:
        return JSON.stringify({ query: SEARCH_TERMS[draws.below(SEARCH_TERMS.length)], results: draws.below(60) });
      case EventKind.CouponApplied:
        return JSON.stringify({ coupon: COUPONS[draws.below(COUPONS.length)] });
      case EventKind.ReferralSent:
        return JSON.stringify({ channel: ['whatsapp', 'sms', 'copy_link', 'email'][draws.below(4)] });
      case EventKind.RatingSubmitted:
        return JSON.stringify({ stars: 1 + draws.below(5) });
      default:
        return '{}';
    }
  }
}
