import { createHash } from 'node:crypto';
import { comparable, matchesAll, matchesCondition, readProperty } from './conditions.js';
import {
  ATTRIBUTE_TYPES,
  durationMs,
  type EventRule,
  type MembershipRule,
  type Moment,
  type ProfileRule,
  type PropertyCondition,
  type Rule,
  type SequenceRule,
} from './rules.js';

/** A leaf of a rule tree: what segments keeps per-profile state for, shared by identical leaves. */
export type Leaf =
  | { readonly kind: 'event'; readonly key: string; readonly rule: EventRule }
  | { readonly kind: 'sequence'; readonly key: string; readonly rule: SequenceRule }
  | { readonly kind: 'profile'; readonly key: string; readonly rule: ProfileRule }
  | { readonly kind: 'segment'; readonly key: string; readonly rule: MembershipRule };

export type BehaviourLeaf = Extract<Leaf, { kind: 'event' | 'sequence' }>;

/** JSON with object keys sorted, so equal rules have equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** The identity of a leaf within a project: equal leaves of different segments share their state. */
export function leafKey(kind: Leaf['kind'], rule: unknown): string {
  return createHash('sha256').update(`${kind}:${canonicalJson(rule)}`).digest('base64url').slice(0, 32);
}

/** Every distinct leaf of a tree, in first-seen order. */
export function leavesOf(rule: Rule): Leaf[] {
  const found = new Map<string, Leaf>();
  const walk = (node: Rule): void => {
    if ('and' in node) return node.and.forEach(walk);
    if ('or' in node) return node.or.forEach(walk);
    if ('not' in node) return walk(node.not);
    const leaf = toLeaf(node);
    if (!found.has(leaf.key)) found.set(leaf.key, leaf);
  };
  walk(rule);
  return [...found.values()];
}

export function toLeaf(node: Exclude<Rule, { and: Rule[] } | { or: Rule[] } | { not: Rule }>): Leaf {
  if ('event' in node) return { kind: 'event', key: leafKey('event', node.event), rule: node.event };
  if ('sequence' in node) return { kind: 'sequence', key: leafKey('sequence', node.sequence), rule: node.sequence };
  if ('profile' in node) return { kind: 'profile', key: leafKey('profile', node.profile), rule: node.profile };
  return { kind: 'segment', key: leafKey('segment', { segmentId: node.segment.segmentId }), rule: node.segment };
}

/** The segments a tree refers to (for cycle checks and cascades). */
export function referencedSegments(rule: Rule): string[] {
  return [...new Set(leavesOf(rule).flatMap((leaf) => (leaf.kind === 'segment' ? [leaf.rule.segmentId] : [])))];
}

/**
 * Evaluates a tree given each leaf's truth. Membership leaves ask `truth` whether the profile is
 * a member (their `member: false` is applied here).
 */
export function evaluateRule(rule: Rule, truth: (leaf: Leaf) => boolean): boolean {
  if ('and' in rule) return rule.and.every((child) => evaluateRule(child, truth));
  if ('or' in rule) return rule.or.some((child) => evaluateRule(child, truth));
  if ('not' in rule) return !evaluateRule(rule.not, truth);
  const leaf = toLeaf(rule);
  const value = truth(leaf);
  return leaf.kind === 'segment' && !leaf.rule.member ? !value : value;
}

// ---------------------------------------------------------------------------------------------
// Behaviour leaves: which events are hits, and what a profile's hits say at a given time.

/** Events that count for a behaviour leaf. `value`: a number for an aggregate, the step bitmask for a sequence. */
export interface HitSpec {
  readonly steps: readonly { readonly name: string; readonly where?: readonly PropertyCondition[] }[];
  /** Event leaves with an aggregate: the property whose numeric value each hit carries. */
  readonly valueProperty?: string;
  /** A fixed window (`between`): only events in [from, to) are hits. */
  readonly from?: string;
  readonly to?: string;
  /** Whether the state keeps each hit's time and value (sliding windows, sequences). */
  readonly keepsHits: boolean;
}

export function hitSpecOf(leaf: BehaviourLeaf): HitSpec {
  if (leaf.kind === 'sequence') return { steps: leaf.rule.steps, keepsHits: true };
  const rule = leaf.rule;
  return {
    steps: [{ name: rule.name, where: rule.where }],
    valueProperty: rule.aggregate?.property,
    from: rule.between?.from,
    to: rule.between?.to,
    keepsHits: rule.within !== undefined,
  };
}

/** Oldest event time a backfill must read for this leaf at `nowMs` (undefined: all history). */
export function backfillSince(leaf: BehaviourLeaf, nowMs: number): number | undefined {
  if (leaf.kind === 'sequence') return leaf.rule.inLast ? nowMs - durationMs(leaf.rule.inLast) : undefined;
  if (leaf.rule.within) return nowMs - durationMs(leaf.rule.within);
  return leaf.rule.between ? Date.parse(leaf.rule.between.from) : undefined;
}

export interface HitEvent {
  readonly name: string;
  readonly timestampMs: number;
  readonly properties: unknown;
}

/** The hit's value (null: a hit without a numeric value), or undefined when the event is no hit. */
export function hitOf(spec: HitSpec, event: HitEvent): number | null | undefined {
  if (spec.from !== undefined && event.timestampMs < Date.parse(spec.from)) return undefined;
  if (spec.to !== undefined && event.timestampMs >= Date.parse(spec.to)) return undefined;
  if (spec.steps.length > 1) {
    let mask = 0;
    spec.steps.forEach((step, index) => {
      if (step.name === event.name && matchesAll(step.where, event.properties)) mask |= 1 << index;
    });
    return mask === 0 ? undefined : mask;
  }
  const [step] = spec.steps;
  if (step!.name !== event.name || !matchesAll(step!.where, event.properties)) return undefined;
  if (spec.valueProperty === undefined) return null;
  return (comparable(readProperty(event.properties, spec.valueProperty), 'number') as number | undefined) ?? null;
}

/** Most hits a state keeps (the newest): bounds a heavy user's row. */
export const MAX_KEPT_HITS = 5000;

/**
 * A profile's state for one behaviour leaf. `n`..`last` summarise the hits (the in-window ones
 * after `evaluateLeaf` for sliding windows); `times`/`vals` hold each hit (ms, value), oldest
 * first, for leaves whose spec keeps hits.
 */
export interface LeafState {
  n: number;
  /** Hits with a numeric value (what avg divides by). */
  vn: number;
  sum: number;
  min: number | null;
  max: number | null;
  first: number | null;
  last: number | null;
  times: number[];
  vals: (number | null)[];
}

export const emptyLeafState = (): LeafState => ({ n: 0, vn: 0, sum: 0, min: null, max: null, first: null, last: null, times: [], vals: [] });

export function addHit(state: LeafState, spec: HitSpec, timeMs: number, value: number | null): void {
  state.n++;
  state.first = state.first === null ? timeMs : Math.min(state.first, timeMs);
  state.last = state.last === null ? timeMs : Math.max(state.last, timeMs);
  if (value !== null && spec.steps.length === 1) {
    state.vn++;
    state.sum += value;
    state.min = state.min === null ? value : Math.min(state.min, value);
    state.max = state.max === null ? value : Math.max(state.max, value);
  }
  if (!spec.keepsHits) return;
  let at = state.times.length;
  while (at > 0 && state.times[at - 1]! > timeMs) at--;
  state.times.splice(at, 0, timeMs);
  state.vals.splice(at, 0, value);
  if (state.times.length > MAX_KEPT_HITS) {
    state.times.splice(0, state.times.length - MAX_KEPT_HITS);
    state.vals.splice(0, state.vals.length - MAX_KEPT_HITS);
  }
}

/** Folds `other` into `state` (a merged profile's hits into the survivor's). */
export function mergeLeafStates(state: LeafState, other: LeafState, spec: HitSpec): void {
  if (spec.keepsHits) {
    other.times.forEach((time, index) => addHit(state, spec, time, other.vals[index] ?? null));
    return;
  }
  state.n += other.n;
  state.vn += other.vn;
  state.sum += other.sum;
  state.min = minOf(state.min, other.min);
  state.max = maxOf(state.max, other.max);
  state.first = minOf(state.first, other.first);
  state.last = maxOf(state.last, other.last);
}

const minOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

export interface LeafVerdict {
  readonly matched: boolean;
  /** When the verdict may change with no new event (a hit leaves a window, a moment passes); null: never. */
  readonly recheckAt: number | null;
}

/**
 * Whether the state meets the leaf at `nowMs`, and when to look again. Sliding windows drop the
 * hits that left them from `state` (so it is also pruned).
 */
export function evaluateLeaf(leaf: BehaviourLeaf, state: LeafState, nowMs: number): LeafVerdict {
  const rechecks: number[] = [];
  if (leaf.kind === 'sequence') {
    if (leaf.rule.inLast) {
      const span = durationMs(leaf.rule.inLast);
      dropHitsUpTo(state, nowMs - span);
      if (state.times.length) rechecks.push(state.times[0]! + span);
    }
    return { matched: sequenceDone(state, leaf.rule), recheckAt: earliest(rechecks, nowMs) };
  }
  const rule = leaf.rule;
  if (rule.within) {
    const span = durationMs(rule.within);
    dropHitsUpTo(state, nowMs - span);
    summarise(state);
    if (state.times.length) rechecks.push(state.times[0]! + span);
  }
  const matched =
    countHolds(rule, state.n) &&
    aggregateHolds(rule, state) &&
    momentHolds(rule.first, state.first, nowMs, rechecks) &&
    momentHolds(rule.last, state.last, nowMs, rechecks);
  return { matched, recheckAt: earliest(rechecks, nowMs) };
}

/** Whether a profile with no hits at all meets the leaf (e.g. "at most 2 times"). */
export function matchesWithoutHits(leaf: BehaviourLeaf): boolean {
  return evaluateLeaf(leaf, emptyLeafState(), 0).matched;
}

function countHolds(rule: EventRule, n: number): boolean {
  const count = rule.count ?? { atLeast: 1 };
  if (count.exactly !== undefined) return n === count.exactly;
  return (count.atLeast === undefined || n >= count.atLeast) && (count.atMost === undefined || n <= count.atMost);
}

function aggregateHolds(rule: EventRule, state: LeafState): boolean {
  const aggregate = rule.aggregate;
  if (!aggregate) return true;
  if (state.vn === 0) return false;
  const value = { sum: state.sum, avg: state.sum / state.vn, min: state.min!, max: state.max! }[aggregate.fn];
  return matchesCondition({ op: aggregate.op, type: 'number', value: aggregate.value, values: aggregate.values }, value);
}

function momentHolds(moment: Moment | undefined, at: number | null, nowMs: number, rechecks: number[]): boolean {
  if (!moment) return true;
  if (at === null) return false;
  let holds = true;
  if (moment.before !== undefined && !(at < Date.parse(moment.before))) holds = false;
  if (moment.after !== undefined && !(at > Date.parse(moment.after))) holds = false;
  if (moment.inLast) {
    const until = at + durationMs(moment.inLast);
    if (nowMs >= until) holds = false;
    else rechecks.push(until);
  }
  if (moment.notInLast) {
    const from = at + durationMs(moment.notInLast);
    if (nowMs < from) {
      holds = false;
      rechecks.push(from);
    }
  }
  return holds;
}

function sequenceDone(state: LeafState, rule: SequenceRule): boolean {
  const within = durationMs(rule.within);
  const { times, vals } = state;
  for (let start = 0; start < times.length; start++) {
    if (((vals[start] ?? 0) & 1) === 0) continue;
    const deadline = times[start]! + within;
    let step = 1;
    for (let next = start + 1; next < times.length && times[next]! <= deadline; next++) {
      if (times[next]! > times[start]! && ((vals[next] ?? 0) & (1 << step)) !== 0 && ++step === rule.steps.length) return true;
    }
  }
  return false;
}

function dropHitsUpTo(state: LeafState, cutoffMs: number): void {
  let keep = 0;
  while (keep < state.times.length && state.times[keep]! <= cutoffMs) keep++;
  if (keep === 0) return;
  state.times.splice(0, keep);
  state.vals.splice(0, keep);
}

/** Recomputes the summary of a state from its kept hits. */
export function summarise(state: LeafState): void {
  const fresh = emptyLeafState();
  state.times.forEach((time, index) => addHit(fresh, { steps: [{ name: '' }], keepsHits: false }, time, state.vals[index] ?? null));
  Object.assign(state, { ...fresh, times: state.times, vals: state.vals });
}

function earliest(times: number[], nowMs: number): number | null {
  const future = times.filter((time) => time > nowMs);
  return future.length ? Math.min(...future) : null;
}

// ---------------------------------------------------------------------------------------------
// Profile leaves.

/** What segments knows of a profile: custom properties and the built-in attributes (email/phone: `true` when present). */
export interface ProfileFacts {
  readonly properties: Record<string, unknown>;
  readonly attributes: Record<string, unknown>;
}

export function matchesProfileRule(rule: ProfileRule, profile: ProfileFacts): boolean {
  if (rule.attribute !== undefined) return matchesCondition({ ...rule, type: ATTRIBUTE_TYPES[rule.attribute] }, profile.attributes[rule.attribute]);
  return matchesCondition(rule, readProperty(profile.properties, rule.property!));
}
