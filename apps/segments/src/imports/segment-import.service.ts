import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { Clock, isUuid } from '@boomerang/platform/subgraph';
import { SegmentEntity } from '../segments/segment.entity.js';
import { StaticSegments } from '../segments/static-segments.js';
import type { ImportSegmentInput } from './dto/import-segment.input.js';
import { ImportTokens } from './import-token.js';
import { SEGMENT_IMPORTS_CONFIG, type SegmentImportsConfig } from './imports-config.js';
import { RunSegmentImport } from './run-segment-import.js';
import { SegmentImportError, SegmentImportErrorCode } from './segment-import.errors.js';
import { SegmentImportFormat, SegmentImportIdentityKind, SegmentImportMode } from './segment-import.model.js';
import { SegmentImports, type SegmentImportJob, type UnmatchedRow } from './segment-imports.repository.js';
import { openSourceUrl, shownUrl } from './source-url.js';

/** What the API shows of a job (the GraphQL model's fields, `segment` resolved by its id). */
export interface SegmentImportView {
  readonly id: string;
  readonly projectId: string;
  readonly segmentId: string;
  readonly format: SegmentImportJob['format'];
  readonly identityKind: SegmentImportJob['identityKind'];
  readonly column: string | null;
  readonly mode: SegmentImportJob['mode'];
  readonly status: SegmentImportJob['status'];
  readonly uploadUrl: string | null;
  readonly uploadUrlExpiresAt: Date | null;
  readonly sourceUrl: string | null;
  readonly rowsRead: number;
  readonly matched: number;
  readonly unmatched: number;
  readonly unmatchedByReason: { empty: number; malformed: number; unknownIdentity: number; profileNotKnown: number };
  readonly added: number;
  readonly removed: number;
  readonly error: string | null;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
}

/** The answer of the upload route: an HTTP status and a JSON body. */
export interface UploadAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

@Injectable()
export class SegmentImportService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly imports: SegmentImports,
    private readonly runner: RunSegmentImport,
    private readonly statics: StaticSegments,
    private readonly clock: Clock,
    private readonly tokens: ImportTokens,
    private readonly http: HttpAdapterHost,
    @Inject(SEGMENT_IMPORTS_CONFIG) private readonly config: SegmentImportsConfig,
  ) {}

  /**
   * A new import job: PENDING with an upload URL, or (with `sourceUrl`) RUNNING at once, the file
   * fetched by segments. Into the STATIC segment `segmentId`, or a new one named `name`.
   */
  async create(projectId: string, input: ImportSegmentInput): Promise<SegmentImportView> {
    this.check(input);
    const now = this.clock.now();
    const id = randomUUID();
    await this.dataSource
      .transaction(async (manager) => {
        const segmentId = input.segmentId ? await this.lockStatic(manager, projectId, input.segmentId) : (await this.statics.create(manager, projectId, { name: input.name!, description: null }, now)).id;
        await this.imports.insert(manager, {
          id,
          projectId,
          segmentId,
          format: input.format,
          identityKind: input.identityKind ?? SegmentImportIdentityKind.USER_ID,
          column: input.column ?? null,
          mode: input.mode ?? SegmentImportMode.ADD,
          sourceUrl: input.sourceUrl ?? null,
          status: input.sourceUrl ? 'running' : 'pending',
          uploadExpiresAt: new Date(now.getTime() + this.config.SEGMENTS_IMPORT_URL_TTL_SECONDS * 1000),
          createdAt: now,
        });
      })
      .catch((error: unknown) => {
        if ((error as { code?: string }).code === '23505')
          throw new SegmentImportError(SegmentImportErrorCode.SegmentImportRunning, 'Another import of this segment is running; wait for it to end', 'input.segmentId');
        throw error;
      });
    const job = (await this.imports.find(projectId, id))!;
    const sourceUrl = input.sourceUrl;
    // The runner ends every job DONE or FAILED itself; nothing waits for this one.
    if (sourceUrl) void this.runner.execute(job, (signal) => openSourceUrl(sourceUrl, signal, { allowPrivate: this.config.SEGMENT_IMPORT_ALLOW_PRIVATE_URLS })).catch(() => undefined);
    return this.view(job);
  }

  async get(projectId: string, id: string): Promise<SegmentImportView> {
    const job = isUuid(id) ? await this.imports.find(projectId, id) : null;
    if (!job) throw new SegmentImportError(SegmentImportErrorCode.ImportNotFound, `No segment import ${id} in this project`, 'id');
    return this.view(job);
  }

  unmatchedRows(projectId: string, id: string, first: number, after: number | null): Promise<UnmatchedRow[]> {
    return this.imports.unmatched(projectId, id, first, after);
  }

  segmentOf(projectId: string, segmentId: string): Promise<SegmentEntity | null> {
    return this.dataSource.getRepository(SegmentEntity).findOneBy({ projectId, id: segmentId });
  }

  /**
   * The upload route: the token must be this import's, unexpired, and the job still PENDING (a
   * token starts one upload). The file is read while it arrives; the answer is the finished job.
   */
  async upload(id: string, token: unknown, body: AsyncIterable<Buffer>): Promise<UploadAnswer> {
    if (typeof token !== 'string' || token === '') return { status: 401, body: { error: 'an upload token is required: use the uploadUrl importSegment answered' } };
    const job = isUuid(id) ? await this.imports.findForUpload(id) : null;
    const check = job ? this.tokens.check(job.id, job.projectId, token, this.clock.now()) : 'invalid';
    if (!job || check === 'invalid') return { status: 403, body: { error: 'the upload token is not valid for this import' } };
    if (check === 'expired') return { status: 403, body: { error: 'the upload URL has expired; create a new import' } };
    if (job.sourceUrl) return { status: 409, body: { error: 'this import reads its sourceUrl; it takes no upload' } };
    const claim = await this.imports.claim(job.id, this.clock.now());
    if (claim === 'taken') return { status: 409, body: { error: `this import has received its file already (status ${job.status.toUpperCase()})` } };
    if (claim === 'segment-busy') return { status: 409, body: { error: 'another import of this segment is running; wait for it to end' } };
    const ended = await this.runner.execute(job, () => Promise.resolve(body));
    const view = this.view(ended);
    return {
      status: ended.status === 'done' ? 200 : 422,
      body: {
        id: view.id,
        status: view.status.toUpperCase(),
        rowsRead: view.rowsRead,
        matched: view.matched,
        unmatched: view.unmatched,
        added: view.added,
        removed: view.removed,
        error: view.error,
      },
    };
  }

  private check(input: ImportSegmentInput): void {
    if ((input.segmentId == null) === (input.name == null))
      throw new SegmentImportError(SegmentImportErrorCode.InvalidImport, 'Invalid value for input.segmentId: give segmentId or name (to create a STATIC segment), not both', 'input.segmentId');
    if (input.format !== SegmentImportFormat.CSV) {
      if (input.column != null)
        throw new SegmentImportError(SegmentImportErrorCode.InvalidImport, 'Invalid value for input.column: only CSV imports name a column (cohort exports are matched by their user id)', 'input.column');
      if (input.identityKind != null && input.identityKind !== SegmentImportIdentityKind.USER_ID)
        throw new SegmentImportError(SegmentImportErrorCode.InvalidImport, 'Invalid value for input.identityKind: Mixpanel and Amplitude cohorts are matched by USER_ID', 'input.identityKind');
    }
  }

  private async lockStatic(manager: EntityManager, projectId: string, segmentId: string): Promise<string> {
    const segment = await manager.findOne(SegmentEntity, { where: { id: segmentId, projectId }, lock: { mode: 'pessimistic_read' } });
    if (!segment) throw new SegmentImportError(SegmentImportErrorCode.SegmentNotFound, `No segment ${segmentId} in this project`, 'input.segmentId');
    if (segment.kind !== 'static')
      throw new SegmentImportError(SegmentImportErrorCode.SegmentNotStatic, 'Invalid value for input.segmentId: files are imported into STATIC segments only', 'input.segmentId');
    if (segment.archivedAt) throw new SegmentImportError(SegmentImportErrorCode.SegmentArchived, `Segment ${segmentId} is archived`, 'input.segmentId');
    await this.statics.refuseManaged(manager, projectId, segment.id, 'importing members', 'input.segmentId');
    return segment.id;
  }

  private uploadUrl(job: SegmentImportJob): string | null {
    if (job.status !== 'pending' || job.sourceUrl || job.uploadExpiresAt <= this.clock.now()) return null;
    const base = this.config.SEGMENTS_PUBLIC_URL ?? `http://127.0.0.1:${(this.http.httpAdapter.getHttpServer() as { address(): AddressInfo }).address().port}`;
    const url = new URL(`segment-imports/${job.id}`, base.endsWith('/') ? base : `${base}/`);
    url.searchParams.set('token', this.tokens.mint(job.id, job.projectId, job.uploadExpiresAt));
    return url.toString();
  }

  private view(job: SegmentImportJob): SegmentImportView {
    const uploadUrl = this.uploadUrl(job);
    const { empty, malformed, unknown_identity: unknownIdentity, profile_not_known: profileNotKnown } = job.unmatched;
    return {
      id: job.id,
      projectId: job.projectId,
      segmentId: job.segmentId,
      format: job.format,
      identityKind: job.identityKind,
      column: job.column,
      mode: job.mode,
      status: job.status,
      uploadUrl,
      uploadUrlExpiresAt: uploadUrl ? job.uploadExpiresAt : null,
      sourceUrl: job.sourceUrl ? shownUrl(job.sourceUrl) : null,
      rowsRead: job.rowsRead,
      matched: job.matched,
      unmatched: empty + malformed + unknownIdentity + profileNotKnown,
      unmatchedByReason: { empty, malformed, unknownIdentity, profileNotKnown },
      added: job.added,
      removed: job.removed,
      error: job.error,
      createdAt: job.createdAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
    };
  }
}
