import { Inject, Injectable } from '@nestjs/common';
import { BackfillLeafHits } from '@boomerang/contracts';
import type { Messaging } from '@boomerang/platform/messaging';
import { LOGGER, MESSAGING, type Logger } from '@boomerang/platform/subgraph';
import { LeafHitStream } from './leaf-hit-stream.js';
import { parseLeafHitsBackfillRequest, type LeafHitsBackfillRequest } from './leaf-hits-backfill.request.js';
import { LeafHitsBackfill } from './leaf-hits-backfill.use-case.js';
import { StreamedResponder, type StreamedResult } from './streamed-responder.js';

/** Backfills one instance runs at once (each holds a database connection for its whole read); more wait their turn. */
const MAX_RUNNING_BACKFILLS = 2;

/**
 * Answers BackfillLeafHits with a streamed reply to the request's reply subject: the rows of
 * LeafHitsBackfill in binary chunks, then LeafBackfillDone (StreamedResponder).
 */
@Injectable()
export class BackfillLeafHitsResponder extends StreamedResponder {
  constructor(
    private readonly backfill: LeafHitsBackfill,
    @Inject(MESSAGING) messaging: Messaging,
    @Inject(LOGGER) logger: Logger,
  ) {
    super(BackfillLeafHits.name, MAX_RUNNING_BACKFILLS, messaging, logger);
  }

  protected parse(data: Uint8Array): LeafHitsBackfillRequest {
    return parseLeafHitsBackfillRequest(data);
  }

  protected async stream(request: LeafHitsBackfillRequest, reply: string, signal: AbortSignal): Promise<StreamedResult> {
    const stream = new LeafHitStream(this.messaging.nc, reply);
    const result = await this.backfill.execute(request, stream, signal);
    await stream.publishPending();
    return result;
  }
}
