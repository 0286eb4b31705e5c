export { createDetector } from './detector.js';
export type { Detector } from './detector.js';
export type { DetectorOptions } from './detector-options.js';
export type {
  DownReason,
  EjectionReason,
  EndpointSnapshot,
  EndpointState,
  EndpointStateChange,
  HeartbeatMode,
  StateChangeReason,
} from './endpoint-state.js';
export { DetectorClosedError, DetectorError, InvalidDetectorOptionsError } from './errors.js';
export { HealthChecker, ServingStatus } from './health-checker.js';
export type { HealthCheckListener } from './health-checker.js';
export { createDetectorMetrics, metricsRegistry } from './detector-metrics.js';
export type { DetectorMetrics } from './detector-metrics.js';
export { serveMetrics } from './metrics-server.js';
export { rpcClientMetrics, RpcClientMetrics } from './rpc-client-metrics.js';
export type { MetricsServer, MetricsServerOptions } from './metrics-server.js';
export { ON_SILENCE_DEFAULTS, parseDetectorSettings, POLL_DEFAULTS } from './detector-settings.js';
export type {
  DetectorSettings,
  HeartbeatOptions,
  HeartbeatOptionsInput,
  OutlierOptionsInput,
} from './detector-settings.js';
export { OutlierDetector } from './outlier-detector.js';
export type { Ejection, OutlierDetectionOptions, OutlierEvent } from './outlier-detector.js';
export { eligibleWithPanic } from './eligible-with-panic.js';
export { phi, PhiAccrual, phiAccrualDefaults } from './phi-accrual.js';
export { RunningClock } from './running-clock.js';
export { SilenceProbe } from './silence-probe.js';
export type { ProbeVerdict, SilenceProbeOptions } from './silence-probe.js';
export type { PhiAccrualOptions } from './phi-accrual.js';
export { createServerHealth, LIVENESS_SERVICE, READINESS_SERVICE } from './server-health.js';
export type { Readiness, ServerHealth, ServerHealthOptions } from './server-health.js';
