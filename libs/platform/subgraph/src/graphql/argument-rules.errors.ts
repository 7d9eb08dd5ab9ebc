import { assertUnreachable, DomainError, type ErrorKind } from '../domain-error.js';

export enum ArgumentErrorCode {
  NulCharacter = 'NUL_CHARACTER',
  UnpairedSurrogate = 'UNPAIRED_SURROGATE',
  DateTimeOutOfRange = 'DATE_TIME_OUT_OF_RANGE',
  JsonTooDeep = 'JSON_TOO_DEEP',
  MalformedId = 'MALFORMED_ID',
}

function kindOf(code: ArgumentErrorCode): ErrorKind {
  switch (code) {
    case ArgumentErrorCode.NulCharacter:
    case ArgumentErrorCode.UnpairedSurrogate:
    case ArgumentErrorCode.DateTimeOutOfRange:
    case ArgumentErrorCode.JsonTooDeep:
    case ArgumentErrorCode.MalformedId:
      return 'invalid-input';
    default:
      return assertUnreachable(code);
  }
}

/** An argument value that breaks a rule every subgraph applies, named by its path (`input.name`). */
export class ArgumentError extends DomainError {
  constructor(code: ArgumentErrorCode, field: string, rule: string) {
    super(code, kindOf(code), `Invalid value for ${field}: ${rule}`, field);
  }
}
