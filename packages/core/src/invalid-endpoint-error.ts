import { BallastError } from './ballast-error.js';

/** An endpoint list a source or a caller gave is unusable; the message names the bad entry. */
export class InvalidEndpointError extends BallastError {
  constructor(message: string) {
    super('INVALID_ENDPOINT', message);
  }
}
