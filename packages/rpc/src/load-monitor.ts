import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { formatLoadReport, MetadataKeys, type LoadReport } from '@ballast/core';
import { isUnaryWork } from '@ballast/recovery';
import type { ServerMiddleware } from 'nice-grpc-common';

/**
 * Measures how loaded this process is — CPU share, event-loop delay, calls in flight and
 * completed per second — refreshed once per `intervalMs`, so reading it on every call is free.
 */
export class LoadMonitor {
  #inFlight = 0;
  #completed = 0;
  #report: LoadReport = {};
  #encoded = '';
  readonly #histogram: IntervalHistogram;
  readonly #timer: NodeJS.Timeout;
  #lastCpu = process.cpuUsage();
  #lastTime = performance.now();

  constructor(intervalMs = 1000) {
    this.#histogram = monitorEventLoopDelay({ resolution: 10 });
    this.#histogram.enable();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
    this.#timer.unref();
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** The latest report, with the in-flight count as of now. */
  get report(): LoadReport {
    return { ...this.#report, inFlight: this.#inFlight };
  }

  /** The latest report as trailer text (see formatLoadReport). */
  get encoded(): string {
    return this.#encoded;
  }

  started(): void {
    this.#inFlight++;
  }

  finished(): void {
    this.#inFlight--;
    this.#completed++;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#histogram.disable();
  }

  #sample(): void {
    const now = performance.now();
    const elapsedMs = now - this.#lastTime;
    const cpu = process.cpuUsage(this.#lastCpu);
    this.#report = {
      cpu: (cpu.user + cpu.system) / 1000 / elapsedMs,
      eventLoopDelayMs: this.#histogram.mean / 1e6,
      qps: (this.#completed * 1000) / elapsedMs,
    };
    this.#encoded = formatLoadReport({ ...this.#report, inFlight: this.#inFlight });
    this.#histogram.reset();
    this.#completed = 0;
    this.#lastCpu = process.cpuUsage();
    this.#lastTime = now;
  }
}

/**
 * Counts unary calls for the monitor (streams and health checks are not load; see isUnaryWork)
 * and sends its report in every response's trailers.
 */
export function loadReportMiddleware(monitor: LoadMonitor): ServerMiddleware {
  return async function* loadReport(call, context) {
    const counted = isUnaryWork(call.method);
    if (counted) monitor.started();
    try {
      return yield* call.next(call.request, context);
    } finally {
      if (counted) monitor.finished();
      const encoded = monitor.encoded || formatLoadReport(monitor.report);
      if (encoded) context.trailer.set(MetadataKeys.load, encoded);
    }
  };
}
