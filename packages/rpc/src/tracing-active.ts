import { ProxyTracerProvider, trace } from '@opentelemetry/api';

/** What the OTel API hands out while no SDK is registered: its no-op provider. */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * Whether an OpenTelemetry SDK has registered a TracerProvider. Asked once per call, so that
 * with none registered a call pays for this check and nothing else: no span objects, no
 * trace-context headers, no observer.
 */
export function tracingActive(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NOOP_PROVIDER;
}
