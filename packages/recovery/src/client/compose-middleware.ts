import type { ClientMiddleware, ClientMiddlewareCall } from 'nice-grpc-common';

/**
 * nice-grpc-common's `composeClientMiddleware`, same signature and meaning (`middleware2` runs
 * first; its `next` enters `middleware1`), with each call object built field by field. The
 * original copies the call twice per layer with `Object.assign`, which costs more than the rest
 * of a pass-through layer.
 */
export function composeMiddleware<Ext1, Ext2, RequiredCallOptionsExt>(
  middleware1: ClientMiddleware<Ext1, RequiredCallOptionsExt>,
  middleware2: ClientMiddleware<Ext2, RequiredCallOptionsExt & Ext1>,
): ClientMiddleware<Ext1 & Ext2, RequiredCallOptionsExt> {
  return (call, options) =>
    middleware2(
      {
        method: call.method,
        requestStream: call.requestStream,
        request: call.request,
        responseStream: call.responseStream,
        next: (request: unknown, options2: object) =>
          middleware1(
            {
              method: call.method,
              requestStream: call.requestStream,
              request,
              responseStream: call.responseStream,
              next: call.next,
            } as ClientMiddlewareCall<unknown, unknown, RequiredCallOptionsExt>,
            options2,
          ),
      } as never,
      options,
    ) as never;
}
