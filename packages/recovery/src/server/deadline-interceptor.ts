import { ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { DEADLINE_METADATA_KEY } from '../deadline-metadata.js';

/**
 * grpc-js server interceptor (pass in `createServer({ interceptors: [deadlineInterceptor] })`)
 * that hands the call's deadline to `deadlinePropagationServerMiddleware` through metadata.
 */
export const deadlineInterceptor: ServerInterceptor = (_method, call) =>
  new ServerInterceptingCall(call, {
    start(next) {
      next({
        onReceiveMetadata(metadata, nextMetadata) {
          metadata.remove(DEADLINE_METADATA_KEY);
          const deadline = call.getDeadline();
          const at = deadline instanceof Date ? deadline.getTime() : deadline;
          if (Number.isFinite(at)) metadata.set(DEADLINE_METADATA_KEY, String(at));
          nextMetadata(metadata);
        },
      });
    },
  });
