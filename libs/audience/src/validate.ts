import type { z } from 'zod';
import {
  EventRuleSchema,
  MAX_CHILDREN,
  MAX_DEPTH,
  MAX_NODES,
  MembershipRuleSchema,
  ProfileRuleSchema,
  RULE_KINDS,
  SequenceRuleSchema,
  type Rule,
} from './rules.js';

export interface RuleIssue {
  /** Where, from the root name given (`rules.and[2].event.within.days`). */
  readonly path: string;
  readonly message: string;
}

export type RuleValidation = { readonly ok: true; readonly rule: Rule } | { readonly ok: false; readonly issues: readonly RuleIssue[] };

const LEAF_SCHEMAS: Record<'event' | 'sequence' | 'profile' | 'segment', z.ZodTypeAny> = {
  event: EventRuleSchema,
  sequence: SequenceRuleSchema,
  profile: ProfileRuleSchema,
  segment: MembershipRuleSchema,
};

/**
 * Checks a rule tree node by node, so each issue names the node it is about (a union schema
 * would only say that the whole tree matches none of its shapes). Returns the tree as parsed
 * (defaults filled in), or every issue found, each with its path from `root`.
 */
export function validateRule(input: unknown, root = 'rules'): RuleValidation {
  const issues: RuleIssue[] = [];
  let nodes = 0;
  const walk = (node: unknown, path: string, depth: number): Rule | undefined => {
    if (++nodes > MAX_NODES) {
      if (nodes === MAX_NODES + 1) issues.push({ path, message: `a rule tree has at most ${MAX_NODES} nodes` });
      return undefined;
    }
    if (depth > MAX_DEPTH) {
      issues.push({ path, message: `rules nest at most ${MAX_DEPTH} levels` });
      return undefined;
    }
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      issues.push({ path, message: `must be an object with one of ${RULE_KINDS.join(', ')}` });
      return undefined;
    }
    const keys = Object.keys(node).filter((key) => (node as Record<string, unknown>)[key] !== undefined && (node as Record<string, unknown>)[key] !== null);
    if (keys.length !== 1 || !(RULE_KINDS as readonly string[]).includes(keys[0]!)) {
      issues.push({ path, message: `give exactly one of ${RULE_KINDS.join(', ')}${keys.length ? ` (got ${keys.join(', ')})` : ''}` });
      return undefined;
    }
    const kind = keys[0] as (typeof RULE_KINDS)[number];
    const body = (node as Record<string, unknown>)[kind];
    if (kind === 'and' || kind === 'or') {
      if (!Array.isArray(body) || body.length === 0 || body.length > MAX_CHILDREN) {
        issues.push({ path: `${path}.${kind}`, message: `must be a list of 1 to ${MAX_CHILDREN} rules` });
        return undefined;
      }
      const children = body.map((child, index) => walk(child, `${path}.${kind}[${index}]`, depth + 1));
      return children.every(Boolean) ? ({ [kind]: children } as Rule) : undefined;
    }
    if (kind === 'not') {
      const child = walk(body, `${path}.not`, depth + 1);
      return child && { not: child };
    }
    const parsed = LEAF_SCHEMAS[kind].safeParse(body);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) issues.push({ path: joinPath(`${path}.${kind}`, issue.path), message: issue.message });
      return undefined;
    }
    return { [kind]: parsed.data } as Rule;
  };
  const rule = walk(input, root, 1);
  return rule && issues.length === 0 ? { ok: true, rule } : { ok: false, issues };
}

function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : `${text}.${String(key)}`), prefix);
}
