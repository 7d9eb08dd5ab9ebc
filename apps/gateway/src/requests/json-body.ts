import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Logger } from '@boomerang/platform/observability';

/** Largest request body the gateway reads. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Deepest nesting of objects and arrays a request body may have. Subgraphs accept JSON values
 * nested 64 levels deep; the body, its variables and the input objects around them fit well
 * inside this, and the gateway's own recursive steps never see anything deeper.
 */
export const MAX_BODY_DEPTH = 128;

/** The GraphQL-over-HTTP answer to a request that is not a GraphQL request at all. */
export function badRequest(message: string) {
  return { errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] };
}

/** Walks without recursion, so no nesting can exhaust the stack. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [current, depth] = next;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) pending.push([child, depth + 1]);
  }
  return false;
}

/** express.json with the gateway's size limit, then the nesting limit. */
export function readJsonBody(): RequestHandler[] {
  return [
    express.json({ limit: MAX_BODY_BYTES }),
    (req, res, next) => {
      if (!nestsDeeperThan(req.body, MAX_BODY_DEPTH)) return next();
      res.status(400).json(badRequest(`The request body is nested deeper than ${MAX_BODY_DEPTH} levels`));
    },
  ];
}

/** Why body-parser refused a body, by its error type; anything else is the gateway's own fault. */
const BODY_ERRORS: Record<string, string> = {
  'entity.parse.failed': 'The request body is not valid JSON',
  'entity.too.large': `The request body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MB`,
  'encoding.unsupported': 'The request body has a Content-Encoding the gateway does not read (gzip, deflate or br)',
  'charset.unsupported': 'The request body has a charset the gateway does not read (send UTF-8)',
  'request.aborted': 'The request body was not received in full',
  'request.size.invalid': 'The request body does not match its Content-Length',
};

/**
 * Answers errors raised before GraphQL runs as JSON, never as Express's HTML page (which holds
 * the stack and the server's paths): a refused body is a 4xx naming why, anything else a bare 500.
 */
export function requestErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: Error & { type?: string; status?: number }, _req, res, next) => {
    if (res.headersSent) return next(error);
    const reason = error.type ? BODY_ERRORS[error.type] : undefined;
    if (reason) {
      const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 400;
      return void res.status(status).json(badRequest(reason));
    }
    logger.error({ err: error }, 'unexpected error answering a request');
    res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
  };
}
