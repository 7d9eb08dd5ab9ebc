import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { z } from 'zod';
import type { SubjectNamer } from '@boomerang/contracts';
import type { Logger } from '@boomerang/platform/observability';

export interface RpcContract<Req extends z.ZodTypeAny, Rep extends z.ZodTypeAny> {
  readonly name: string;
  readonly request: Req;
  readonly reply: Rep;
}

export class RpcError extends Error {
  override name = 'RpcError';
}

/** Answers core-NATS requests in a queue group, validating both the request and the reply. */
export function serveRpc<Req extends z.ZodTypeAny, Rep extends z.ZodTypeAny>(
  nc: NatsConnection,
  subjects: SubjectNamer,
  contract: RpcContract<Req, Rep>,
  handler: (request: z.infer<Req>) => Promise<z.infer<Rep>>,
  logger: Logger,
): Subscription {
  return nc.subscribe(subjects.request(contract.name), {
    queue: contract.name,
    callback: (error, message) => {
      if (error) return logger.error({ err: error }, `rpc ${contract.name} subscription failed`);
      void (async () => {
        try {
          const request = contract.request.parse(message.json());
          const reply = contract.reply.parse(await handler(request));
          message.respond(JSON.stringify(reply));
        } catch (failure) {
          logger.warn({ err: failure }, `rpc ${contract.name} request failed`);
          message.respond(JSON.stringify({ rpcError: (failure as Error).message }));
        }
      })();
    },
  });
}

export async function callRpc<Req extends z.ZodTypeAny, Rep extends z.ZodTypeAny>(
  nc: NatsConnection,
  subjects: SubjectNamer,
  contract: RpcContract<Req, Rep>,
  request: z.infer<Req>,
  timeoutMs = 2000,
): Promise<z.infer<Rep>> {
  const response = await nc.request(subjects.request(contract.name), JSON.stringify(contract.request.parse(request)), {
    timeout: timeoutMs,
  });
  const body = response.json<Record<string, unknown>>();
  if (typeof body.rpcError === 'string') throw new RpcError(`${contract.name}: ${body.rpcError}`);
  return contract.reply.parse(body);
}
