import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum SegmentErrorCode {
  SegmentNotFound = 'SEGMENT_NOT_FOUND',
  RulesOnlyForDynamic = 'RULES_ONLY_FOR_DYNAMIC',
  MembersOnlyForStatic = 'MEMBERS_ONLY_FOR_STATIC',
  InvalidRules = 'INVALID_RULES',
  RulesRequired = 'RULES_REQUIRED',
  ReferencedSegmentNotFound = 'REFERENCED_SEGMENT_NOT_FOUND',
  SegmentCycle = 'SEGMENT_CYCLE',
  SegmentArchived = 'SEGMENT_ARCHIVED',
  SegmentInUse = 'SEGMENT_IN_USE',
  SegmentManaged = 'SEGMENT_MANAGED',
}

function kindOf(code: SegmentErrorCode): ErrorKind {
  switch (code) {
    case SegmentErrorCode.SegmentNotFound:
      return 'not-found';
    case SegmentErrorCode.RulesOnlyForDynamic:
    case SegmentErrorCode.MembersOnlyForStatic:
    case SegmentErrorCode.InvalidRules:
    case SegmentErrorCode.RulesRequired:
    case SegmentErrorCode.ReferencedSegmentNotFound:
    case SegmentErrorCode.SegmentCycle:
      return 'invalid-input';
    case SegmentErrorCode.SegmentArchived:
    case SegmentErrorCode.SegmentInUse:
    case SegmentErrorCode.SegmentManaged:
      return 'conflict';
    default:
      return assertUnreachable(code);
  }
}

export class SegmentError extends DomainError {
  constructor(code: SegmentErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}
