import { BallastError, markInvalidOption, type InvalidOptionFactory } from '@ballast/core';

/** Base class of every error the balancer throws; `code` is stable across releases. */
export class BalancerError extends BallastError {}

/** An option failed validation at construction; names the option and what it accepts. */
export class InvalidBalancerOptionError extends BalancerError {
  declare readonly option: string;
  declare readonly problem: string;
  declare readonly allowed: string;
  constructor(option: string, problem: string, allowed: string) {
    super('INVALID_BALANCER_OPTION', `balancer option "${option}" ${problem}: allowed values are ${allowed}`);
    markInvalidOption(this, option, problem, allowed);
  }
}

/** Lets core's parseOptions throw the balancer's own invalid-option error. */
export const invalidBalancerOption: InvalidOptionFactory = (option, problem, allowed) =>
  new InvalidBalancerOptionError(option, problem, allowed);

/** A policy was asked to build a picker it cannot build (for example over no endpoints). */
export class PickerBuildError extends BalancerError {
  constructor(message: string) {
    super('PICKER_BUILD', message);
  }
}
