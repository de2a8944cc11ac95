/** Why a case operation was refused; the API maps each code to an HTTP status. */
export type CaseErrorCode =
  | 'CASE_NOT_FOUND'
  | 'CASE_ALREADY_OPEN'
  | 'CASE_NOT_OPEN'
  | 'SEGMENT_NOT_FOUND'
  | 'BOOKMARK_NOT_FOUND'
  | 'CORRECTION_NOT_FOUND'
  | 'CORRECTION_INVALID'
  | 'PHASE_UNKNOWN'
  | 'TIME_OUT_OF_RANGE';

export class CaseError extends Error {
  constructor(
    readonly code: CaseErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CaseError';
  }
}
