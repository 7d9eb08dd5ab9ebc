import type { Transform } from 'node:stream';

/** Whether `chunk`, after the byte `last` (false at the stream's start), needs no dot-stuffing or line-ending repair. */
export function needsNoStuffing(chunk: Uint8Array, last: number | false): boolean;
/** Makes `Stream` (default nodemailer's DataStream) pass chunks that need no stuffing as they are; false when it does not look like DataStream. */
export function installFastDotStuffing(Stream?: new () => Transform): boolean;
