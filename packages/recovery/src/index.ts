export {
  BreakerOpenError,
  FallbackFailedError,
  InvalidRecoveryOptionError,
  RecoveryError,
  RetryBudgetExhaustedError,
  RetryPushbackError,
  SupervisorError,
} from './errors.js';
export { exponentialBackoff } from './backoff.js';
export { chainMiddleware } from './client/chain-middleware.js';
export { composeMiddleware } from './client/compose-middleware.js';
export type { Backoff, BackoffOptions } from './backoff.js';
export { RetryBudget } from './client/retry-budget.js';
export type { RetryBudgetOptions, RetryBudgetStats } from './client/retry-budget.js';
export { createRetry } from './client/retry.js';
export type { Retry, RetryCallOptions, RetryMiddlewareOptions } from './client/retry.js';
export { retryStream } from './client/retry-stream.js';
export type { StreamRetryPolicy } from './client/retry-stream.js';
export { ReplayableRequests } from './client/replayable-requests.js';
export { createHedging } from './client/hedging.js';
export type { Hedging, HedgingCallOptions, HedgingOptions, HedgingStats } from './client/hedging.js';
export { HedgeBudget } from './client/hedge-budget.js';
export { HedgeGate, HEDGE_SKIPS } from './client/hedge-gate.js';
export type { BackupDue, BackupVerdict, HedgeGateOptions, HedgeSkip } from './client/hedge-gate.js';
export { HedgeWins } from './client/hedge-wins.js';
export { monitorLoopLoad } from './client/loop-load.js';
export type { LoopLoad } from './client/loop-load.js';
export { CancelRate } from './client/cancel-rate.js';
export { LatencyWindow } from './client/latency-window.js';
export { failfastMiddleware } from './client/failfast.js';
export { failsafe } from './client/failsafe.js';
export type { FailsafeOptions } from './client/failsafe.js';
export { broadcast } from './client/broadcast.js';
export type { BroadcastReport, BroadcastResult, BroadcastTarget } from './client/broadcast.js';
export { CircuitBreaker } from './client/circuit-breaker.js';
export type {
  BreakerPermit,
  BreakerState,
  BreakerTransition,
  CircuitBreakerOptions,
} from './client/circuit-breaker.js';
export { consecutiveFailures } from './client/consecutive-failures.js';
export { samplingFailures } from './client/sampling-failures.js';
export { sreRejectProbability, sreThrottle } from './client/sre-throttle.js';
export type { BreakerPolicy, BreakerPolicyOptions } from './client/breaker-policy.js';
export { instrumentBreaker } from './client/instrument-breaker.js';
export { createMethodBreakers } from './client/method-breakers.js';
export type { BreakerMiddlewareOptions, MethodBreakers } from './client/method-breakers.js';
export { createEndpointBreakers } from './client/endpoint-breakers.js';
export type { EndpointBreakers, EndpointBreakersOptions } from './client/endpoint-breakers.js';
export { createDeadlineMiddleware } from './client/deadline-middleware.js';
export type { DeadlinePropagationOptions } from './client/deadline-middleware.js';
export { currentDeadline } from './current-deadline.js';
export type { IncomingDeadline } from './current-deadline.js';
export { deadlineInterceptor } from './server/deadline-interceptor.js';
export {
  createDeadlineServerMiddleware,
  deadlinePropagationServerMiddleware,
} from './server/deadline-server-middleware.js';
export type { DeadlineServerOptions } from './server/deadline-server-middleware.js';
export { VegasLimit } from './server/vegas-limit.js';
export type { LimitSample, VegasOptions } from './server/vegas-limit.js';
export { createLoadShedder } from './server/load-shedder.js';
export type { LoadShedder, LoadShedderOptions, LoadShedderStats } from './server/load-shedder.js';
export { HEALTH_METHOD_PREFIX, isUnaryWork } from './server/is-unary-work.js';
export { concurrencyCapMiddleware } from './server/concurrency-cap.js';
export { FixedLimit } from './server/fixed-limit.js';
export { isConcurrencyLimit } from './server/concurrency-limit.js';
export type { ConcurrencyLimit } from './server/concurrency-limit.js';
export { streamLimit } from './server/stream-limit.js';
export type { StreamLimit, StreamLimits } from './server/stream-limit.js';
export { handlerErrorsMiddleware } from './server/handler-errors.js';
export { rapidResetGuard } from './server/rapid-reset-guard.js';
export type { RapidResetGuard } from './server/rapid-reset-guard.js';
export { ResetBudget } from './server/reset-budget.js';
export { connectionReaper } from './server/connection-reaper.js';
export type { ConnectionReaper, ConnectionReaperOptions } from './server/connection-reaper.js';
export { PingProbe } from './server/ping-probe.js';
export type { PingProbeStep, PingProbeTiming } from './server/ping-probe.js';
export type { ResetLimit } from './server/reset-budget.js';
export { RestartPolicy } from './process/restart-policy.js';
export type { RestartDecision, RestartPolicyOptions } from './process/restart-policy.js';
export { startSupervisor } from './process/supervisor.js';
export type {
  ChildSpec,
  ChildState,
  ChildStateEvent,
  ExitReason,
  Supervisor,
  SupervisorOptions,
} from './process/supervisor.js';
export { superviseCli } from './process/supervise-cli.js';
