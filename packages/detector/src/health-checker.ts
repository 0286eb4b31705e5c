import type { Endpoint, Scheduler, TimerHandle } from '@ballast/core';
import { ClientError, createChannel, createClient, Status, type Channel } from 'nice-grpc';
import { HealthDefinition } from 'nice-grpc-server-health';
import type { HeartbeatOptions } from './detector-settings.js';

/** grpc.health.v1 ServingStatus values. */
export const ServingStatus = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;

/** What one endpoint's health checker reports to its owner. */
export interface HealthCheckListener {
  /** A Check answered: a heartbeat for phi-accrual, with its round trip and the status. */
  onCheck(status: number, rttMs: number): void;
  /** A Check failed or timed out (`code` is the gRPC status, DEADLINE_EXCEEDED and `timedOut` on our timeout). */
  onCheckFailed(code: number, message: string, timedOut: boolean): void;
  /** The Watch stream pushed a status. */
  onWatch(status: number): void;
  /** The Watch stream ended or broke; it is reopened, and Check carries status meanwhile. */
  onWatchEnded(): void;
  /** The Watch stream is unsupported by this peer; Check polling carries status from now on. */
  onWatchUnsupported(): void;
  /** The peer has no health service at all: nothing active is learnt from it any more. */
  onUnimplemented(): void;
}

/**
 * Client-side grpc.health.v1 checking for one endpoint, over the connection its calls use when
 * one is given (same credentials, same path; closing the checker leaves it open), else over a
 * plaintext channel of its own. A Watch stream, where supported, brings status changes at once.
 * It is silent while nothing changes, so it cannot tell a frozen process from a quiet one: that
 * takes Checks, either every interval (`mode: 'poll'`, the heartbeats phi-accrual scores) or one
 * when the owner calls `probe()` (`mode: 'on-silence'`, when the endpoint has been quiet).
 */
export class HealthChecker {
  readonly #channel: Channel;
  readonly #ownsChannel: boolean;
  readonly #client;
  readonly #abort = new AbortController();
  #probing = false;

  constructor(
    readonly endpoint: Endpoint,
    connection: Channel | undefined,
    private readonly options: HeartbeatOptions,
    private readonly scheduler: Scheduler,
    private readonly listener: HealthCheckListener,
  ) {
    this.#ownsChannel = connection === undefined;
    this.#channel =
      connection ??
      createChannel(endpoint.address, undefined, {
        // A frozen peer holds the connection open; heartbeats, not keepalive, detect it.
        'grpc.enable_retries': 0,
        'grpc.initial_reconnect_backoff_ms': Math.min(1000, Math.max(100, options.intervalMs)),
        'grpc.max_reconnect_backoff_ms': Math.max(1000, options.intervalMs * 10),
      });
    this.#client = createClient(HealthDefinition, this.#channel);
    if (options.mode === 'poll') void this.#pollLoop();
    if (options.watch) void this.#watchLoop();
  }

  close(): void {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    if (this.#ownsChannel) this.#channel.close();
  }

  /**
   * One Check now, reported to the listener like a polled one. The on-silence mode sends these
   * when the endpoint has been quiet; a probe already running makes this a no-op.
   */
  probe(): void {
    if (this.#probing || this.#abort.signal.aborted) return;
    this.#probing = true;
    void this.#check().finally(() => (this.#probing = false));
  }

  async #pollLoop(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      const started = this.scheduler.now();
      await this.#check();
      await this.#pause(this.options.intervalMs - (this.scheduler.now() - started));
    }
  }

  async #check(): Promise<void> {
    const signal = this.#abort.signal;
    const { timeoutMs, service } = this.options;
    const started = this.scheduler.now();
    // One controller per Check, released in `finally`: nothing accumulates on the long-lived signal.
    const call = new AbortController();
    let timedOut = false;
    // Judged after the event loop's I/O phase: an answer that arrived while this process was busy
    // (a GC pause, a burst of work) is read before the Check is called unanswered. And judged on
    // the checker's clock: when that counts only the time this process ran (the detector's
    // RunningClock), a Check sent just before the loop stood still gets its full time once it runs.
    let timer: TimerHandle;
    const expire = () =>
      setImmediate(() => {
        const left = timeoutMs - (this.scheduler.now() - started);
        if (left > 0 && this.options.mode === 'on-silence' && !call.signal.aborted) {
          timer = this.scheduler.setTimeout(expire, left);
          return;
        }
        timedOut = true;
        call.abort();
      });
    timer = this.scheduler.setTimeout(expire, timeoutMs);
    const cancel = () => call.abort();
    signal.addEventListener('abort', cancel, { once: true });
    try {
      const response = await this.#client.check({ service }, { signal: call.signal });
      if (signal.aborted) return;
      this.listener.onCheck(response.status, this.scheduler.now() - started);
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ClientError && error.code === Status.UNIMPLEMENTED) {
        this.listener.onUnimplemented();
        return this.close();
      }
      if (timedOut) {
        this.listener.onCheckFailed(Status.DEADLINE_EXCEEDED, `no answer within ${timeoutMs} ms`, true);
      } else {
        this.listener.onCheckFailed(error instanceof ClientError ? error.code : Status.UNKNOWN, String(error), false);
      }
    } finally {
      this.scheduler.clearTimeout(timer);
      signal.removeEventListener('abort', cancel);
    }
  }

  async #watchLoop(): Promise<void> {
    const signal = this.#abort.signal;
    const { intervalMs, service } = this.options;
    while (!signal.aborted) {
      try {
        for await (const response of this.#client.watch({ service }, { signal }))
          this.listener.onWatch(response.status);
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ClientError && error.code === Status.UNIMPLEMENTED) {
          // A peer without any health service is reported by the Check loop; this one lacks only Watch.
          return this.listener.onWatchUnsupported();
        }
      }
      this.listener.onWatchEnded();
      // Stream ended or broke (peer restarting or gone): Check keeps detecting; reopen calmly.
      await this.#pause(Math.max(intervalMs, 250));
    }
  }

  /** Waits `ms` on the scheduler; an abort (close) ends the wait early, and the loops then stop. */
  #pause(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return this.scheduler.sleep(ms, this.#abort.signal).catch(() => undefined);
  }
}
