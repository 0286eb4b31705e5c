import { callContextOf } from '@ballast/core';
import { chainMiddleware } from '@ballast/recovery';
import { trace } from '@opentelemetry/api';
import type { ClientMiddleware } from 'nice-grpc-common';
import { openTelemetryClientMiddleware } from 'nice-grpc-opentelemetry';
import { AttemptSpans } from './attempt-spans.js';
import { tracingActive } from './tracing-active.js';

/**
 * Client tracing: nice-grpc-opentelemetry's span per call (RPC semantic conventions, W3C trace
 * context into the request metadata), and under it a span per attempt (see AttemptSpans),
 * installed on the call's CallContext so the balanced channel reports each attempt to it. Place
 * it inside the layer that gives the call its context and outside retry and hedging. With no
 * OpenTelemetry SDK registered every call goes straight through.
 *
 * The attempt spans find the call's span in the active context, so the SDK must register a
 * context manager (NodeSDK and NodeTracerProvider.register() do).
 */
export function clientTracing(): ClientMiddleware {
  const tracer = trace.getTracer('@ballast/rpc');
  const observeAttempts: ClientMiddleware = (call, options) => {
    const context = callContextOf(options);
    const callSpan = trace.getActiveSpan();
    if (context !== undefined && callSpan?.isRecording()) {
      context.observer = new AttemptSpans(tracer, callSpan, call.method.path);
    }
    return call.next(call.request, options);
  };
  const traced = chainMiddleware([openTelemetryClientMiddleware(), observeAttempts]);
  return (call, options) => (tracingActive() ? traced(call, options) : call.next(call.request, options));
}
