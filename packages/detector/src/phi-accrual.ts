/**
 * Phi-accrual failure detector (Hayashibara et al. 2004), with Akka's refinements: the expected
 * inter-arrival time is padded by an acceptable pause, the standard deviation has a floor, and the
 * normal CDF is the logistic approximation. Pure: the caller passes the time of every heartbeat
 * and of every question.
 */
export interface PhiAccrualOptions {
  /** Suspicion above which the endpoint counts as down. Akka: 8 (cluster) to 10 (remote). */
  readonly threshold: number;
  /** Inter-arrival samples kept; older ones are forgotten so the estimate follows the network. */
  readonly maxSampleSize: number;
  /** Floor on the standard deviation, so a perfectly regular history does not make phi jumpy. */
  readonly minStdDeviationMs: number;
  /** Silence tolerated on top of the mean interval (GC pauses, scheduling hiccups). */
  readonly acceptableHeartbeatPauseMs: number;
  /** Assumed mean interval before the second heartbeat arrives. */
  readonly firstHeartbeatEstimateMs: number;
}

/**
 * Akka's defaults (threshold 8, min std-dev 100 ms, acceptable pause 3 s, first estimate 1 s at
 * 1 s heartbeats) scaled to the heartbeat interval: silence is judged in heartbeats, not seconds.
 */
export function phiAccrualDefaults(heartbeatIntervalMs: number): PhiAccrualOptions {
  return {
    threshold: 8,
    maxSampleSize: 200,
    minStdDeviationMs: heartbeatIntervalMs / 10,
    acceptableHeartbeatPauseMs: heartbeatIntervalMs * 3,
    firstHeartbeatEstimateMs: heartbeatIntervalMs,
  };
}

/**
 * Suspicion that a process is down, given `elapsedMs` of silence and a history with `meanMs` and
 * `stdDeviationMs`: -log10 of the probability that a heartbeat comes later still. Computed in log
 * space so it stays finite (and monotonic) however long the silence.
 */
export function phi(elapsedMs: number, meanMs: number, stdDeviationMs: number): number {
  const y = (elapsedMs - meanMs) / stdDeviationMs;
  const exponent = y * (1.5976 + 0.070566 * y * y);
  // P(later) = 1 / (1 + e^exponent); phi = -log10 of it.
  const lnOnePlusExp = exponent > 0 ? exponent + Math.log1p(Math.exp(-exponent)) : Math.log1p(Math.exp(exponent));
  return lnOnePlusExp / Math.LN10;
}

export class PhiAccrual {
  readonly #options: PhiAccrualOptions;
  readonly #intervals: number[] = [];
  #sum = 0;
  #squaredSum = 0;
  #last: number | undefined;

  constructor(options: PhiAccrualOptions) {
    this.#options = options;
  }

  get options(): PhiAccrualOptions {
    return this.#options;
  }

  /** True once a heartbeat has arrived; before that nothing is suspected. */
  get monitoring(): boolean {
    return this.#last !== undefined;
  }

  /** Records a heartbeat that arrived at `now`. */
  heartbeat(now: number): void {
    if (this.#last === undefined) {
      this.#bootstrap();
    } else if (this.phi(now) >= this.#options.threshold) {
      // The silence was judged a failure; learning it as normal would blunt the next detection.
      this.#clear();
      this.#bootstrap();
    } else {
      this.#add(Math.max(0, now - this.#last));
    }
    this.#last = now;
  }

  /** Suspicion at `now`; 0 before the first heartbeat. */
  phi(now: number): number {
    if (this.#last === undefined) return 0;
    const { mean, stdDeviation } = this.#estimate();
    return phi(Math.max(0, now - this.#last), mean, stdDeviation);
  }

  isAvailable(now: number): boolean {
    return this.phi(now) < this.#options.threshold;
  }

  /** When phi will reach the threshold if no heartbeat arrives (undefined before the first one). */
  suspectAt(): number | undefined {
    if (this.#last === undefined) return undefined;
    const { mean, stdDeviation } = this.#estimate();
    // phi is increasing in elapsed time: bisect on y for the threshold.
    let low = -50;
    let high = 1;
    while (phi(high * stdDeviation + mean, mean, stdDeviation) < this.#options.threshold) high *= 2;
    for (let i = 0; i < 60; i++) {
      const mid = (low + high) / 2;
      if (phi(mid * stdDeviation + mean, mean, stdDeviation) < this.#options.threshold) low = mid;
      else high = mid;
    }
    return this.#last + Math.max(0, high * stdDeviation + mean);
  }

  /** Forgets the history: the next heartbeat starts monitoring afresh. */
  reset(): void {
    this.#clear();
    this.#last = undefined;
  }

  #estimate(): { mean: number; stdDeviation: number } {
    const n = this.#intervals.length;
    const mean = this.#sum / n;
    const variance = Math.max(0, this.#squaredSum / n - mean * mean);
    return {
      mean: mean + this.#options.acceptableHeartbeatPauseMs,
      stdDeviation: Math.max(Math.sqrt(variance), this.#options.minStdDeviationMs),
    };
  }

  // Akka seeds the history with two samples around the first estimate (std-dev = mean / 4).
  #bootstrap(): void {
    const mean = this.#options.firstHeartbeatEstimateMs;
    this.#add(mean - mean / 4);
    this.#add(mean + mean / 4);
  }

  #add(interval: number): void {
    this.#intervals.push(interval);
    this.#sum += interval;
    this.#squaredSum += interval * interval;
    if (this.#intervals.length > this.#options.maxSampleSize) {
      const dropped = this.#intervals.shift()!;
      this.#sum -= dropped;
      this.#squaredSum -= dropped * dropped;
    }
  }

  #clear(): void {
    this.#intervals.length = 0;
    this.#sum = 0;
    this.#squaredSum = 0;
  }
}
