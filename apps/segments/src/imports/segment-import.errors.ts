import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum SegmentImportErrorCode {
  ImportNotFound = 'IMPORT_NOT_FOUND',
  SegmentNotFound = 'SEGMENT_NOT_FOUND',
  SegmentNotStatic = 'SEGMENT_NOT_STATIC',
  SegmentArchived = 'SEGMENT_ARCHIVED',
  InvalidImport = 'INVALID_IMPORT',
  SegmentImportRunning = 'SEGMENT_IMPORT_RUNNING',
}

function kindOf(code: SegmentImportErrorCode): ErrorKind {
  switch (code) {
    case SegmentImportErrorCode.ImportNotFound:
    case SegmentImportErrorCode.SegmentNotFound:
      return 'not-found';
    case SegmentImportErrorCode.SegmentNotStatic:
    case SegmentImportErrorCode.InvalidImport:
      return 'invalid-input';
    case SegmentImportErrorCode.SegmentArchived:
    case SegmentImportErrorCode.SegmentImportRunning:
      return 'conflict';
    default:
      return assertUnreachable(code);
  }
}

export class SegmentImportError extends DomainError {
  constructor(code: SegmentImportErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}
