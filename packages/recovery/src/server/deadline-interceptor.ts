import { MetadataKeys } from '@ballast/core';
import { ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';

/**
 * grpc-js server interceptor (pass in `createServer({ interceptors: [deadlineInterceptor] })`)
 * that hands the call's deadline to `deadlinePropagationServerMiddleware` through metadata.
 */
export const deadlineInterceptor: ServerInterceptor = (_method, call) =>
  new ServerInterceptingCall(call, {
    start(next) {
      next({
        onReceiveMetadata(metadata, nextMetadata) {
          metadata.remove(MetadataKeys.deadlineAt);
          const deadline = call.getDeadline();
          const at = deadline instanceof Date ? deadline.getTime() : deadline;
          if (Number.isFinite(at)) metadata.set(MetadataKeys.deadlineAt, String(at));
          nextMetadata(metadata);
        },
      });
    },
  });
