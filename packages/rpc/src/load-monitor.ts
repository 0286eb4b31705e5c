import { totalmem } from 'node:os';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { repeat, systemScheduler, type Disposer, type LoadReport, type Scheduler } from '@ballast/core';
import { OrcaLoadReport } from '@ballast/stubs/xds/data/orca/v3/orca_load_report';

/** An event loop this late counts as a fully busy process. */
export const EVENT_LOOP_SATURATION_MS = 100;

/**
 * Measures how loaded this process is and states it as an ORCA load report
 * (`xds.data.orca.v3.OrcaLoadReport`), refreshed once per `intervalMs` and encoded then, so
 * sending it with every call costs a trailer and nothing more:
 *
 * - `cpu_utilization`: the process's CPU time over wall time since the last sample;
 * - `mem_utilization`: resident memory over the machine's memory;
 * - `application_utilization`: the busier of CPU and event-loop delay (a Node server that waits on
 *   its event loop is busy whatever its CPU says), unless the application states its own figure
 *   with `setApplicationUtilization`; this is what weighted_round_robin balancers read first;
 * - `rps_fractional`, `eps`: unary calls completed, and those that failed, per second;
 * - `named_metrics`: `event_loop_delay_ms` and `in_flight`.
 */
export class LoadMonitor {
  #inFlight = 0;
  #completed = 0;
  #failed = 0;
  #application: number | undefined;
  #report: OrcaLoadReport = OrcaLoadReport.fromPartial({});
  #encoded: Uint8Array = new Uint8Array(0);
  readonly #histogram: IntervalHistogram;
  readonly #stop: Disposer;
  readonly #scheduler: Scheduler;
  #lastCpu = process.cpuUsage();
  #lastTime: number;

  /** The sampling period runs on `scheduler`; CPU and event-loop delay are read from the process. */
  constructor(
    readonly intervalMs: number,
    scheduler: Scheduler = systemScheduler,
  ) {
    this.#scheduler = scheduler;
    this.#lastTime = scheduler.now();
    this.#histogram = monitorEventLoopDelay({ resolution: 10 });
    this.#histogram.enable();
    this.#stop = repeat(scheduler, intervalMs, () => this.#sample(), { unref: true });
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** The latest report. */
  get report(): LoadReport & OrcaLoadReport {
    return this.#report;
  }

  /** The latest report in its wire form, as sent in the `endpoint-load-metrics-bin` trailer. */
  get encoded(): Uint8Array {
    return this.#encoded;
  }

  /**
   * States this server's utilisation in the application's own terms (a pool, a queue, a quota),
   * as a fraction of capacity that may exceed 1; `undefined` goes back to the measured figure.
   * Takes effect from the next sample.
   */
  setApplicationUtilization(value: number | undefined): void {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new RangeError(`application utilisation must be a finite number ≥ 0, got ${value}`);
    }
    this.#application = value;
  }

  started(): void {
    this.#inFlight++;
  }

  finished(ok: boolean): void {
    this.#inFlight--;
    this.#completed++;
    if (!ok) this.#failed++;
  }

  close(): void {
    this.#stop();
    this.#histogram.disable();
  }

  #sample(): void {
    const now = this.#scheduler.now();
    const seconds = (now - this.#lastTime) / 1000;
    const cpuUsage = process.cpuUsage(this.#lastCpu);
    const cpu = (cpuUsage.user + cpuUsage.system) / 1e6 / seconds;
    const eventLoopDelayMs = Number.isFinite(this.#histogram.mean) ? this.#histogram.mean / 1e6 : 0;
    this.#report = OrcaLoadReport.fromPartial({
      cpuUtilization: cpu,
      memUtilization: Math.min(1, process.memoryUsage.rss() / totalmem()),
      applicationUtilization: this.#application ?? Math.max(cpu, eventLoopDelayMs / EVENT_LOOP_SATURATION_MS),
      rpsFractional: this.#completed / seconds,
      eps: this.#failed / seconds,
      namedMetrics: { event_loop_delay_ms: eventLoopDelayMs, in_flight: this.#inFlight },
    });
    this.#encoded = OrcaLoadReport.encode(this.#report).finish();
    this.#histogram.reset();
    this.#completed = 0;
    this.#failed = 0;
    this.#lastCpu = process.cpuUsage();
    this.#lastTime = now;
  }
}
