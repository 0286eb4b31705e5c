import { randomUUID } from 'node:crypto';
import type { Logger } from '@ballast/core';
import { isAbortError } from 'abort-controller-x';
import { ServerError, Status, type ServerMiddleware } from 'nice-grpc-common';

/**
 * Turns anything a handler throws that is not a ServerError into INTERNAL with a generic
 * message and an incident id. The stack goes to the log, never to the client: it can name files,
 * queries and secrets the caller has no business seeing.
 */
export function handlerErrorsMiddleware(logger: Logger): ServerMiddleware {
  return async function* handlerErrors(call, context) {
    try {
      return yield* call.next(call.request, context);
    } catch (error) {
      if (error instanceof ServerError || isAbortError(error)) throw error;
      const incident = randomUUID().slice(0, 8);
      logger.error({ err: error, method: call.method.path, incident }, 'handler threw; answered INTERNAL');
      throw new ServerError(Status.INTERNAL, `internal error (incident ${incident}); the server logged the details`);
    }
  };
}
