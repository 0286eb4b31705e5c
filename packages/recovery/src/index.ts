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
export { chainMiddleware, composeMiddleware } from './compose.js';
export type { Backoff, BackoffOptions } from './backoff.js';
export { RetryBudget } from './retry-budget.js';
export type { RetryBudgetOptions, RetryBudgetStats } from './retry-budget.js';
export { createRetry } from './retry.js';
export type { Retry, RetryCallOptions, RetryMiddlewareOptions } from './retry.js';
export { retryStream } from './retry-stream.js';
export type { StreamRetryPolicy } from './retry-stream.js';
export { ReplayableRequests } from './replayable-requests.js';
export { createHedging } from './hedging.js';
export type { Hedging, HedgingCallOptions, HedgingOptions, HedgingStats } from './hedging.js';
export { HedgeBudget } from './hedge-budget.js';
export { HedgeGate, HEDGE_SKIPS } from './hedge-gate.js';
export type { BackupDue, BackupVerdict, HedgeGateOptions, HedgeSkip } from './hedge-gate.js';
export { HedgeWins } from './hedge-wins.js';
export { monitorLoopLoad } from './loop-load.js';
export type { LoopLoad } from './loop-load.js';
export { CancelRate } from './cancel-rate.js';
export { LatencyWindow } from './latency-window.js';
export { failfastMiddleware } from './failfast.js';
export { failsafe } from './failsafe.js';
export type { FailsafeOptions } from './failsafe.js';
export { broadcast } from './broadcast.js';
export type { BroadcastReport, BroadcastResult, BroadcastTarget } from './broadcast.js';
export { CircuitBreaker } from './circuit-breaker.js';
export type { BreakerPermit, BreakerState, BreakerTransition, CircuitBreakerOptions } from './circuit-breaker.js';
export { consecutiveFailures, samplingFailures, sreRejectProbability, sreThrottle } from './breaker-policy.js';
export type { BreakerPolicy, BreakerPolicyOptions } from './breaker-policy.js';
export { instrumentBreaker } from './breaker-metrics.js';
export { createMethodBreakers } from './breaker-middleware.js';
export type { BreakerMiddlewareOptions, MethodBreakers } from './breaker-middleware.js';
export { createEndpointBreakers } from './endpoint-breakers.js';
export type { EndpointBreakers, EndpointBreakersOptions } from './endpoint-breakers.js';
export {
  createDeadlineMiddleware,
  currentDeadline,
  DEADLINE_METADATA_KEY,
  TIMEOUT_METADATA_KEY,
  deadlineInterceptor,
  createDeadlineServerMiddleware,
  deadlinePropagationServerMiddleware,
} from './deadline-propagation.js';
export type { DeadlinePropagationOptions, DeadlineServerOptions, IncomingDeadline } from './deadline-propagation.js';
export { VegasLimit } from './vegas-limit.js';
export type { LimitSample, VegasOptions } from './vegas-limit.js';
export { createLoadShedder } from './load-shedder.js';
export type { LoadShedder, LoadShedderOptions, LoadShedderStats } from './load-shedder.js';
export { HEALTH_METHOD_PREFIX, isUnaryWork } from './unary-work.js';
export { RestartPolicy } from './restart-policy.js';
export type { RestartDecision, RestartPolicyOptions } from './restart-policy.js';
export { startSupervisor } from './supervisor.js';
export type {
  ChildSpec,
  ChildState,
  ChildStateEvent,
  ExitReason,
  Supervisor,
  SupervisorOptions,
} from './supervisor.js';
export { superviseCli } from './supervise-cli.js';
