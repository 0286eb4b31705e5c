export { serve } from './serve.js';
export { LIVENESS_SERVICE, READINESS_SERVICE } from '@ballast/detector';
export type { ServeHandle, ServeState } from './serve.js';
export { service } from './serve-options.js';
export type { ServeOptionsInput, ServiceEntry } from './serve-options.js';
export { RpcError, RpcOptionsError } from './errors.js';
export { clientCredentials, clientTls, serverCredentials, serverTls } from './tls.js';
export { CertificateFiles } from './certificate-files.js';
export type { CertificateFilesOptions, CertificateReload } from './certificate-files.js';
export type { ClientTlsOptions, Pem, ServerTlsOptions, Tls } from './tls.js';
export { LoadMonitor } from './load-monitor.js';
export { loadReportMiddleware } from './load-report-middleware.js';
// Generic server middlewares live in @ballast/recovery; re-exported under the names rpc has always had.
export { concurrencyCapMiddleware, handlerErrorsMiddleware, streamLimit } from '@ballast/recovery';
export type { StreamLimit, StreamLimits } from '@ballast/recovery';
export { connectionReaper, PingProbe } from '@ballast/recovery';
export type { ConnectionReaper, ConnectionReaperOptions, PingProbeStep, PingProbeTiming } from '@ballast/recovery';
export { connect } from './connect.js';
export { connection, disconnect } from './connection.js';
export { ZONE_ENV } from './placement-options.js';
export type { BallastCallOptions } from './ballast-call-options.js';
export type { Connection } from './connection.js';
export type { ConnectOptions, MethodOverrides } from './connect-options.js';
export { orcaService } from './orca-service.js';
export { clientTracing } from './client-tracing.js';
export { serverTracing } from './server-tracing.js';
export { AttemptAttributes, AttemptSpans, CallEventNames } from './attempt-spans.js';
export { tracingActive } from './tracing-active.js';
export {
  HEALTH_PROBE_USAGE,
  HealthProbeUsageError,
  parseGoDuration,
  parseHealthProbeArgs,
} from './health-probe-args.js';
export type { HealthProbeArgs } from './health-probe-args.js';
export { HealthProbeExit, probeHealth } from './health-probe.js';
export type { HealthProbeExitCode, HealthProbeResult } from './health-probe.js';
