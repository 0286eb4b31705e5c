import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { RecentOrders } from './recent-orders.js';

export interface Telemetry {
  /** The recent orders' traces, when the dashboard asked for them. */
  readonly recentOrders: RecentOrders | undefined;
  /** Exports what is pending and unregisters the SDK. */
  shutdown(): Promise<void>;
}

let current: Telemetry | undefined;

/**
 * Registers the shop's OpenTelemetry SDK, whose spans Ballast's connect() and serve() then make:
 * exported over OTLP/HTTP (protobuf) when `OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` names a collector (Jaeger, Tempo, an OTel Collector), and
 * kept in process for the dashboard's waterfall when `dashboard` is set. With neither, nothing is
 * registered and tracing costs nothing. Call it before importing anything that loads
 * `@ballast/rpc`, as OpenTelemetry asks of every instrumented library.
 */
export function startTelemetry(
  serviceName: string,
  env: NodeJS.ProcessEnv,
  options: { dashboard?: boolean } = {},
): Telemetry {
  if (current) return current;
  const processors: SpanProcessor[] = [];
  const recentOrders = options.dashboard ? new RecentOrders() : undefined;
  if (recentOrders) processors.push(recentOrders);
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    // The exporter reads the endpoint, headers and timeout from the standard OTEL_* variables.
    processors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }));
  }
  if (processors.length === 0) return { recentOrders, shutdown: async () => undefined };
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? serviceName }),
    spanProcessors: processors,
  });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const telemetry: Telemetry = {
    recentOrders,
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      current = undefined;
    },
  };
  current = telemetry;
  return telemetry;
}

/** The telemetry startTelemetry registered in this process, if any. */
export function currentTelemetry(): Telemetry | undefined {
  return current;
}
