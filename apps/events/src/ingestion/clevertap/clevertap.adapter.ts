import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, LOGGER } from '@boomerang/platform/subgraph';
import { UserVerification, type ReceivedCommand } from '../../verification/user-verification.js';
import { WriteKeys } from '../../verification/write-keys.js';
import { header, readBody, refuse, send, userTokenHeader, type IngestAdapter, type RefusalBody } from '../http/ingest-http.js';
import { IngestEvents } from '../ingest-events.use-case.js';
import { IngestionError, IngestionErrorCode } from '../ingestion.errors.js';
import { CLEVERTAP_MAX_BODY_BYTES, clevertapCommands } from './clevertap-upload.js';

/** CleverTap's server upload API (events and profile updates). */
const UPLOAD_PATH = '/1/upload';

/** CleverTap's wording of a refused upload. */
const clevertapRefusalBody: RefusalBody = ({ status, message, field }) => ({ status: 'fail', code: status, error: message, ...(field ? { field } : {}) });

/**
 * CleverTap uploads (`POST /1/upload`): bad records are listed in the answer
 * (`{ status, processed, unprocessed }`), the good ones commit in one transaction. Account id =
 * project id, passcode = one of its publishable or secret keys.
 */
@Injectable()
export class CleverTapAdapter implements IngestAdapter<'upload'> {
  constructor(
    private readonly ingestEvents: IngestEvents,
    private readonly verification: UserVerification,
    private readonly writeKeys: WriteKeys,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  route(method: string | undefined, path: string): 'upload' | undefined {
    return method === 'POST' && path === UPLOAD_PATH ? 'upload' : undefined;
  }

  async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const accountId = header(request, 'x-clevertap-account-id');
      const passcode = header(request, 'x-clevertap-passcode');
      if (!accountId || !passcode) {
        throw new IngestionError(IngestionErrorCode.Unauthenticated, 'Missing X-CleverTap-Account-Id or X-CleverTap-Passcode', 'X-CleverTap-Passcode');
      }
      const { projectId, scope } = await this.writeKeys.resolve(passcode, 'X-CleverTap-Passcode');
      if (projectId !== accountId) {
        throw new IngestionError(IngestionErrorCode.Unauthenticated, 'Passcode does not belong to this account', 'X-CleverTap-Account-Id');
      }
      const receivedAt = this.clock.now();
      const { body } = await readBody(request, CLEVERTAP_MAX_BODY_BYTES, 'body');
      const { commands, unprocessed } = clevertapCommands(projectId, body, receivedAt);
      const headerToken = userTokenHeader(request);
      await this.verification.verify(projectId, scope, commands.map((command): ReceivedCommand => ({ command, token: headerToken, field: 'd' })));
      await this.ingestEvents.execute(projectId, commands);
      const status = unprocessed.length === 0 ? 'success' : commands.length === 0 ? 'fail' : 'partial';
      send(response, 200, { status, processed: commands.length, unprocessed });
    } catch (error) {
      refuse(response, error, this.logger, clevertapRefusalBody);
    }
  }
}
