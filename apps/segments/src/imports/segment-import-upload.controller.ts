import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { Controller, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { SegmentImportService } from './segment-import.service.js';

/**
 * `PUT|POST /segment-imports/<id>?token=…` on segments' HTTP listener: the file of one import,
 * read as it arrives (send it as text/csv, application/gzip or application/octet-stream; a JSON or
 * form content type is parsed by the app's body parsers first and limited to their sizes). No
 * gateway, no API key: the token in the URL authorizes this one upload.
 */
@Controller('segment-imports')
export class SegmentImportUploadController {
  constructor(private readonly service: SegmentImportService) {}

  @Put(':id')
  put(@Param('id') id: string, @Query('token') token: unknown, @Req() request: IncomingMessage & { rawBody?: Buffer }, @Res() response: ServerResponse) {
    return this.upload(id, token, request, response);
  }

  @Post(':id')
  post(@Param('id') id: string, @Query('token') token: unknown, @Req() request: IncomingMessage & { rawBody?: Buffer }, @Res() response: ServerResponse) {
    return this.upload(id, token, request, response);
  }

  private async upload(id: string, token: unknown, request: IncomingMessage & { rawBody?: Buffer }, response: ServerResponse): Promise<void> {
    // A body a parser took already (JSON, form) is there whole in rawBody.
    const body = request.readableEnded && request.rawBody ? Readable.from([request.rawBody]) : request;
    const answer = await this.service.upload(id, token, body);
    // A refused upload is not read: the connection closes after the answer rather than take the rest.
    const unread = !request.readableEnded;
    response
      .writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...(unread ? { connection: 'close' } : {}) })
      .end(JSON.stringify(answer.body));
  }
}
