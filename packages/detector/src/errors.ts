import { BallastError, markInvalidOption, type InvalidOptionFactory } from '@ballast/core';

/** Base class of every error @ballast/detector throws; `code` is stable across releases. */
export class DetectorError extends BallastError {}

/** An option failed validation at construction; `field` is its dotted path, e.g. "outlier.maxEjectionPercent". */
export class InvalidDetectorOptionsError extends DetectorError {
  constructor(
    readonly field: string,
    detail: string,
    allowed?: string,
  ) {
    const accepts = allowed === undefined ? '' : `: allowed values are ${allowed}`;
    super(
      'INVALID_DETECTOR_OPTIONS',
      `invalid detector option "${field}" ${detail}${accepts}. Fix the value and construct again.`,
    );
    markInvalidOption(this, field, detail, allowed);
  }
}

/** Lets core's parseOptions throw the detector's own invalid-option error. */
export const invalidDetectorOption: InvalidOptionFactory = (option, problem, allowed) =>
  new InvalidDetectorOptionsError(option, problem, allowed);

/** A method was called after close(). */
export class DetectorClosedError extends DetectorError {
  constructor(what: string) {
    super('DETECTOR_CLOSED', `${what} was called after close(): create a new detector instead.`);
  }
}
