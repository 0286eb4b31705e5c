import type { Logger } from '@ballast/core';
import {
  createHedging,
  createMethodBreakers,
  createRetry,
  type Hedging,
  type MethodBreakers,
  type Retry,
} from '@ballast/recovery';
import type { ParsedConnectOptions } from './connect-options.js';

/** What a client does when a call fails or is slow: retry, hedge, or stop calling a failing method. */
export interface ClientRecovery {
  readonly retry: Retry | undefined;
  readonly hedging: Hedging | undefined;
  readonly breakers: MethodBreakers | undefined;
  close(): void;
}

/**
 * A client's retry (budgeted, failover), hedging (sharing the retry's budget) and per-method
 * circuit breakers, with connect()'s defaults. `parent` is the parent of their loggers.
 */
export function clientRecovery(
  options: Pick<ParsedConnectOptions, 'retry' | 'hedging' | 'circuitBreaker'>,
  parent: Logger | undefined,
): ClientRecovery {
  // The retry's default codes follow the signal taxonomy: endpoint failing or overloaded (a
  // Ballast server sheds with RESOURCE_EXHAUSTED and a pushback so the call goes elsewhere). The
  // balanced channel writes each attempt's pushback into the call's context: no trailer hook.
  const retry =
    options.retry === false ? undefined : createRetry({ logger: parent, ...options.retry, readTrailers: false });
  const hedging = options.hedging
    ? createHedging({ budget: retry?.budget, logger: parent, ...options.hedging })
    : undefined;
  // Per-method breakers see every attempt, so one dead replica of three produces bursts of
  // consecutive failures: the default trips on the method's failure rate over a window instead,
  // with a minimum volume so a cold client's first failures do not open it.
  // The method breaker judges whole calls: it sits outside the retry, so an open one fails the
  // call at once instead of being retried into, and its failures are the taxonomy's
  // endpoint-failing codes (a shedding server's RESOURCE_EXHAUSTED is not one).
  let breakers: MethodBreakers | undefined;
  try {
    breakers =
      options.circuitBreaker === false
        ? undefined
        : createMethodBreakers(
            options.circuitBreaker ?? {
              breaker: {
                policy: { type: 'sampling', windowMs: 10_000, minVolume: 20, failureRate: 0.5 },
                logger: parent,
              },
            },
          );
  } catch (error) {
    hedging?.close();
    throw error;
  }
  return {
    retry,
    hedging,
    breakers,
    close: () => {
      breakers?.close();
      hedging?.close();
    },
  };
}
