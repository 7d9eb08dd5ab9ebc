import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { z } from 'zod';

/** Every message body carries the project it belongs to and when the fact happened. */
export const messageEnvelope = z.object({
  projectId: z.string().uuid(),
  occurredAt: z.string().datetime({ offset: true }),
});

/**
 * One kind of NATS message: its domain (the stream it lives on), what happened, and the schema
 * of its body. Subjects have the shape `<prefix><domain>.<projectId>.<what>`.
 */
export interface MessageContract<TSchema extends z.ZodTypeAny = z.ZodTypeAny> {
  readonly domain: Domain;
  readonly what: string;
  readonly schema: TSchema;
  /** Contracts defined `compiled`: accepts a body the schema accepts unchanged (see defineMessage). */
  readonly accepts?: (body: unknown) => boolean;
}

export type MessageOf<C extends MessageContract> = z.infer<C['schema']>;

export const DOMAINS = ['workspace', 'profiles', 'events', 'segments', 'campaigns', 'journeys', 'email', 'voice'] as const;
export type Domain = (typeof DOMAINS)[number];

/**
 * `compiled`: the contract is also checked by a validator compiled (ajv) from the schema's JSON
 * Schema, about ten times faster than zod and without copying the body; zod then runs only on
 * what that check refuses, to name the fields (or to strip keys the schema does not know). For
 * high-volume messages, and only for schemas JSON Schema states exactly: no refinements,
 * transforms or defaults, and string lengths of at most a minimum of 1 (ajv counts code points,
 * zod UTF-16 units). contracts.spec holds every compiled contract to that.
 */
export function defineMessage<TSchema extends z.ZodObject<z.ZodRawShape>>(
  domain: Domain,
  what: string,
  shape: TSchema,
  options: { compiled?: boolean } = {},
): MessageContract<z.ZodObject<typeof messageEnvelope.shape & TSchema['shape']>> {
  const schema = messageEnvelope.extend(shape.shape);
  return { domain, what, schema: schema as never, ...(options.compiled ? { accepts: compiledCheck(schema) } : {}) };
}

/** The JSON Schema a compiled contract is checked against (output side: unknown keys refused, so zod strips them). */
export function compiledJsonSchema(schema: z.ZodTypeAny): Record<string, unknown> {
  return z.toJSONSchema(schema, { unrepresentable: 'throw' }) as Record<string, unknown>;
}

/** Compiled on first use, so a service pays only for the contracts it checks. */
function compiledCheck(schema: z.ZodTypeAny): (body: unknown) => boolean {
  let check: ValidateFunction | undefined;
  // Formats are stated again as patterns by zod, which the check runs; `format` itself is not validated.
  return (body) => (check ??= new Ajv2020({ strict: true, validateFormats: false }).compile(compiledJsonSchema(schema)))(body);
}

export class ContractViolationError extends Error {
  constructor(
    readonly subject: string,
    readonly issues: readonly string[],
  ) {
    super(`message on ${subject} violates its contract: ${issues.join('; ')}`);
    this.name = 'ContractViolationError';
  }
}

/** Validates a body against its contract; throws naming every offending field. */
export function validateMessage<C extends MessageContract>(contract: C, subject: string, body: unknown): MessageOf<C> {
  if (contract.accepts?.(body)) return body as MessageOf<C>;
  const result = contract.schema.safeParse(body);
  if (!result.success) {
    throw new ContractViolationError(
      subject,
      result.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`),
    );
  }
  return result.data as MessageOf<C>;
}
