import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import type { SchemaChange } from './composition.js';

/**
 * A breaking change of the client API that was reviewed and accepted, with why: the check
 * passes it and prints the reason, and fails on any breaking change not listed.
 */
export interface AcceptedChange {
  /** As the check prints it: `[TYPE] description`. */
  readonly change: string;
  readonly reason: string;
}

const acceptedChanges = z.array(z.object({ change: z.string().regex(/^\[[A-Z_]+\] .+/, 'must read "[TYPE] description", as schema:check prints it'), reason: z.string().min(20, 'must say why, in a sentence') }).strict());

/** The committed list (`tools/supergraph/accepted-breaking-changes.json`); none when the file is absent. */
export function loadAcceptedChanges(path: string): AcceptedChange[] {
  if (!existsSync(path)) return [];
  const parsed = acceptedChanges.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return parsed.data;
}

export const describeChange = (change: SchemaChange) => `[${change.type}] ${change.description}`;

/** The breaking changes a reviewed entry accepts (with its reason), and the rest. */
export function partitionBreaking(breaking: readonly SchemaChange[], accepted: readonly AcceptedChange[]) {
  const reasons = new Map(accepted.map((entry) => [entry.change, entry.reason]));
  const described = breaking.map(describeChange);
  return {
    accepted: described.filter((change) => reasons.has(change)).map((change) => ({ change, reason: reasons.get(change)! })),
    unaccepted: described.filter((change) => !reasons.has(change)),
  };
}
