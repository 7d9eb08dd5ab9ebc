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
}

export type MessageOf<C extends MessageContract> = z.infer<C['schema']>;

export const DOMAINS = ['workspace', 'profiles', 'events', 'segments', 'campaigns', 'journeys', 'email', 'voice'] as const;
export type Domain = (typeof DOMAINS)[number];

export function defineMessage<TSchema extends z.ZodObject<z.ZodRawShape>>(
  domain: Domain,
  what: string,
  shape: TSchema,
): MessageContract<z.ZodObject<typeof messageEnvelope.shape & TSchema['shape']>> {
  return { domain, what, schema: messageEnvelope.extend(shape.shape) as never };
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
  const result = contract.schema.safeParse(body);
  if (!result.success) {
    throw new ContractViolationError(
      subject,
      result.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`),
    );
  }
  return result.data as MessageOf<C>;
}
