import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum SegmentErrorCode {
  SegmentNotFound = 'SEGMENT_NOT_FOUND',
  RulesOnlyForDynamic = 'RULES_ONLY_FOR_DYNAMIC',
  MembersOnlyForStatic = 'MEMBERS_ONLY_FOR_STATIC',
}

function kindOf(code: SegmentErrorCode): ErrorKind {
  switch (code) {
    case SegmentErrorCode.SegmentNotFound:
      return 'not-found';
    case SegmentErrorCode.RulesOnlyForDynamic:
    case SegmentErrorCode.MembersOnlyForStatic:
      return 'invalid-input';
    default:
      return assertUnreachable(code);
  }
}

export class SegmentError extends DomainError {
  constructor(code: SegmentErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}
