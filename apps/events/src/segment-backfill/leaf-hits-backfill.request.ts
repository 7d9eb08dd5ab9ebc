import { z } from 'zod';
import { parseDate, PropertyConditionSchema, type HitSpec } from '@boomerang/audience';
import { BackfillLeafHits } from '@boomerang/contracts';

/** One leaf to backfill: its hit spec and, for sliding windows, the oldest event time to read. */
export interface LeafToBackfill {
  readonly spec: HitSpec;
  /** Epoch ms; absent: all history. */
  readonly sinceMs?: number;
}

/** A validated BackfillLeafHits request. */
export interface LeafHitsBackfillRequest {
  readonly projectId: string;
  /** Leaves in request order: a row's `leaf` is the index here. */
  readonly leaves: readonly LeafToBackfill[];
  /** Events with ids minted at or after this (epoch ms) come back one by one. */
  readonly recentFromMs: number;
}

export class BackfillRequestError extends Error {
  override name = 'BackfillRequestError';
}

const StepSchema = z.object({
  name: z.string().min(1).max(200),
  where: z
    .array(PropertyConditionSchema)
    .max(20)
    .superRefine((conditions, context) =>
      conditions.forEach((condition, index) => {
        // Dates the schema's Date.parse reads but parseDate (what the condition compares by) does not.
        if (condition.type !== 'date') return;
        const operands = condition.values ?? (condition.value === undefined ? [] : [condition.value]);
        operands.forEach((operand, at) => {
          if (parseDate(operand as string) === undefined)
            context.addIssue({
              code: 'custom',
              message: 'a date is an ISO 8601 date-time with a zone (2026-12-05T10:00:00Z)',
              path: condition.values ? [index, 'values', at] : [index, 'value'],
            });
        });
      }),
    )
    .optional(),
});

/** The contract's request, with each leaf checked as the audience language defines its parts. */
const RequestSchema = BackfillLeafHits.request.extend({
  leaves: z
    .array(
      BackfillLeafHits.request.shape.leaves.element.extend({
        steps: z.array(StepSchema).min(1).max(5),
        valueProperty: PropertyConditionSchema.shape.property.optional(),
      }),
    )
    .min(1)
    .max(100),
});

/** Reads and validates a request body; a BackfillRequestError names the first issues by path (`leaves[0].steps[1].where[0].value`). */
export function parseLeafHitsBackfillRequest(body: Uint8Array): LeafHitsBackfillRequest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new BackfillRequestError('request: must be JSON');
  }
  const parsed = RequestSchema.safeParse(json);
  if (!parsed.success)
    throw new BackfillRequestError(
      parsed.error.issues
        .slice(0, 5)
        .map((issue) => `${pathOf(issue.path)}: ${issue.message}`)
        .join('; '),
    );
  const request = parsed.data;
  return {
    projectId: request.projectId,
    recentFromMs: Date.parse(request.recentFrom),
    leaves: request.leaves.map(({ since, ...spec }) => ({ spec, ...(since === undefined ? {} : { sinceMs: Date.parse(since) }) })),
  };
}

function pathOf(path: readonly PropertyKey[]): string {
  const text = path.reduce<string>((joined, key) => (typeof key === 'number' ? `${joined}[${key}]` : `${joined}${joined ? '.' : ''}${String(key)}`), '');
  return text || 'request';
}
