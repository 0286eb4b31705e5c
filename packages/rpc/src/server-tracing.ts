import type { ServerMiddleware } from 'nice-grpc-common';
import { openTelemetryServerMiddleware } from 'nice-grpc-opentelemetry';
import { tracingActive } from './tracing-active.js';

/**
 * Services of the infrastructure rather than the application: health checks ten times a second
 * per client, reflection, and ORCA subscriptions that last as long as the connection. Tracing
 * them would bury the application's spans.
 */
const UNTRACED = ['/grpc.health.v1.Health/', '/grpc.reflection.', '/xds.service.orca.v3.'];

/**
 * Server tracing: nice-grpc-opentelemetry's span per call (RPC semantic conventions), a child of
 * the W3C trace context the client sent — under a Ballast client, the span of the attempt that
 * reached this server. With no OpenTelemetry SDK registered every call goes straight through.
 * Place it outermost, so the span sees the status the error mapping decided.
 */
export function serverTracing(): ServerMiddleware {
  const traced = openTelemetryServerMiddleware();
  return (call, context) =>
    tracingActive() && !UNTRACED.some((prefix) => call.method.path.startsWith(prefix))
      ? traced(call, context)
      : call.next(call.request, context);
}
