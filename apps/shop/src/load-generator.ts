import { Emitter, type Disposer, type Logger, type Random } from '@ballast/core';
import type { OrderServiceDefinition } from '@ballast/stubs/shop/v1/orders';
import type { Client } from 'nice-grpc';
import { placeOrderResiliently } from './order-runner.js';
import { orderWorkload } from './order-workload.js';
import { delay } from 'abort-controller-x';

export interface LoadStats {
  readonly running: boolean;
  readonly concurrency: number;
  readonly placed: number;
  readonly confirmed: number;
  readonly failed: number;
  readonly errors: number;
  /** Orders finished in the last second. */
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const WINDOW = 500;

/** Places random orders with `concurrency` parallel clients until stopped. */
export class LoadGenerator {
  #abort: AbortController | undefined;
  #workers: Promise<void> | undefined;
  #concurrency = 0;
  #placed = 0;
  #confirmed = 0;
  #failed = 0;
  #errors = 0;
  #latencies: number[] = [];
  #finishedAt: number[] = [];
  #run = 0;
  readonly #listeners: Emitter<LoadStats>;

  constructor(
    private readonly orders: Client<typeof OrderServiceDefinition>,
    private readonly random: Random = Math.random,
    private readonly logger?: Logger,
  ) {
    this.#listeners = new Emitter('load stats', logger);
  }

  get running(): boolean {
    return this.#abort !== undefined;
  }

  start(concurrency = 4, pauseMs = 50): void {
    if (this.#abort) return;
    const abort = (this.#abort = new AbortController());
    this.#concurrency = concurrency;
    const run = `load-${Date.now().toString(36)}-${this.#run++}`;
    let n = 0;
    this.logger?.info({ concurrency }, 'load generator started');
    const worker = async () => {
      while (!abort.signal.aborted) {
        const [request] = orderWorkload(1, this.random, `${run}-${n++}`);
        const outcome = await placeOrderResiliently(this.orders, request!, { attempts: 3, signal: abort.signal });
        if (abort.signal.aborted) return;
        this.#record(outcome.kind, outcome.latencyMs);
        await delay(abort.signal, pauseMs).catch(() => undefined);
      }
    };
    this.#workers = Promise.all(Array.from({ length: concurrency }, worker)).then(() => undefined);
  }

  async stop(): Promise<void> {
    if (!this.#abort) return;
    this.#abort.abort();
    await this.#workers;
    this.#abort = undefined;
    this.logger?.info({ placed: this.#placed }, 'load generator stopped');
  }

  onFinished(listener: (stats: LoadStats) => void): Disposer {
    return this.#listeners.on(listener);
  }

  stats(): LoadStats {
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0);
    const now = performance.now();
    return {
      running: this.running,
      concurrency: this.#concurrency,
      placed: this.#placed,
      confirmed: this.#confirmed,
      failed: this.#failed,
      errors: this.#errors,
      perSecond: this.#finishedAt.filter((t) => now - t <= 1000).length,
      p50Ms: Math.round(at(0.5)),
      p99Ms: Math.round(at(0.99)),
    };
  }

  #record(kind: 'confirmed' | 'failed' | 'error', latencyMs: number): void {
    this.#placed++;
    if (kind === 'confirmed') this.#confirmed++;
    else if (kind === 'failed') this.#failed++;
    else this.#errors++;
    this.#latencies.push(latencyMs);
    this.#finishedAt.push(performance.now());
    if (this.#latencies.length > WINDOW) this.#latencies.shift();
    if (this.#finishedAt.length > WINDOW) this.#finishedAt.shift();
    const stats = this.stats();
    this.#listeners.emit(stats);
  }
}
