/** Base class of every error the balancer throws; `code` is stable across releases. */
export class BalancerError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'BalancerError';
  }
}

/** An option failed validation at construction; names the option and what it accepts. */
export class InvalidBalancerOptionError extends BalancerError {
  readonly option: string;
  readonly allowed: string;
  constructor(option: string, problem: string, allowed: string) {
    super('INVALID_BALANCER_OPTION', `balancer option "${option}" ${problem}: allowed values are ${allowed}`);
    this.name = 'InvalidBalancerOptionError';
    this.option = option;
    this.allowed = allowed;
  }
}

/** A policy was asked to build a picker it cannot build (for example over no endpoints). */
export class PickerBuildError extends BalancerError {
  constructor(message: string) {
    super('PICKER_BUILD', message);
    this.name = 'PickerBuildError';
  }
}
