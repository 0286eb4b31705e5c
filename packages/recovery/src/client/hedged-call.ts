import { extendOptions, type CallContext, type Clock, type Logger } from '@ballast/core';
import type { CallOptions, ClientMiddlewareCall } from 'nice-grpc-common';
import type { DeadlineQueue, Deadline } from './deadline-queue.js';
import type { HedgeGate, HedgeSkip } from './hedge-gate.js';
import type { MethodDelays } from './method-delays.js';

/** What every hedged call of one hedging middleware shares. */
export interface HedgingHost {
  readonly gate: HedgeGate;
  readonly deadlines: DeadlineQueue;
  readonly maxHedges: number;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Runs `callback(call)` once the I/O that has arrived is read (`setImmediate`: after the poll phase). */
  readonly afterIo: (callback: (call: HedgedCall) => void, call: HedgedCall) => void;
  /** Where each answered call's latency goes, for the adaptive delay; none with a fixed delay. */
  readonly delays: MethodDelays | undefined;
  readonly counts: {
    hedges: number;
    hedgeWins: number;
    hedgesLikely: number;
    skipped: number;
    lossesLeftRunning: number;
  };
  readonly skippedBecause: Record<HedgeSkip, number>;
  /**
   * Whether the transport below gives each attempt a `cancel` in the CallContext (the balanced
   * channel does). Learnt from the calls so far: until it is known, a primary gets an
   * AbortController of its own, as any transport can be cancelled through its signal.
   */
  transportCancels: boolean;
}

/**
 * One call's attempts: the primary at once, a backup each time the delay passes and the gate
 * lets one go, the first success kept. A primary on a transport that can cancel it through the
 * CallContext goes out on the caller's own options: no signal, listener or options copy of its
 * own, so a call that ends before its delay (nearly all) costs a heap entry and one promise.
 *
 * The call is also the answer the middleware chain reads: a unary call yields nothing and
 * returns one message, which an object with `next()` gives without the generator, promise and
 * try/finally an `async function*` layer costs every call. The first `next()` starts it.
 */
export class HedgedCall implements AsyncGenerator<never, unknown, undefined> {
  /** The attempts' controllers, by index; the primary's only when the transport cannot cancel it. */
  #controllers: (AbortController | undefined)[] | undefined;
  #settled = 0;
  #live = 0;
  #done = false;
  #errors: unknown[] | undefined;
  #deadline: Deadline | undefined;
  /** The caller's abort passed on to attempts on signals of their own; made only for those. */
  #onOuterAbort: (() => void) | undefined;
  #read = false;
  #started = 0;
  #resolve!: (result: IteratorResult<never, unknown>) => void;
  #reject!: (error: unknown) => void;
  winner = -1;
  hedges = 0;
  /** Whether every backup sent was a bet (none expected to win): its outcome teaches the win rate. */
  bet = true;
  /** The index in context.attempts of this call's primary. */
  readonly first: number;

  constructor(
    private readonly host: HedgingHost,
    private readonly call: ClientMiddlewareCall<unknown, unknown>,
    private readonly options: CallOptions,
    private readonly context: CallContext,
    private readonly delayMs: number,
  ) {
    this.first = context.attempts.length;
  }

  next(): Promise<IteratorResult<never, unknown>> {
    // As a finished generator: a second read gets nothing more.
    if (this.#read) return Promise.resolve({ done: true, value: undefined });
    this.#read = true;
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      this.#started = this.host.clock.now();
      this.#launch(0);
      this.#schedule();
    });
  }

  /** Before the first next(): the call is never sent. After it: nothing to stop, the answer stands. */
  return(value?: unknown): Promise<IteratorResult<never, unknown>> {
    this.#read = true;
    return Promise.resolve({ done: true, value });
  }

  throw(error: unknown): Promise<IteratorResult<never, unknown>> {
    this.#read = true;
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  /**
   * After the answer: the losers cancelled so they stop holding server capacity, while their
   * endpoint's cancellation rate allows; otherwise left to finish (no RST_STREAM), answer dropped.
   */
  #end(): void {
    const outer = this.options.signal;
    if (this.#onOuterAbort) outer!.removeEventListener('abort', this.#onOuterAbort);
    const callerGaveUp = outer?.aborted === true;
    const primary = this.context.attempts[this.first];
    if (primary?.cancel !== undefined) this.host.transportCancels = true;
    for (let index = 0; index <= this.hedges; index++) {
      if (this.#settled & (1 << index) || index === this.winner) continue;
      const controller = this.#controllers?.[index];
      // A primary on the caller's own signal has seen the caller give up already.
      if (callerGaveUp && controller === undefined) continue;
      const record = this.context.attempts[this.first + index];
      if (callerGaveUp || record === undefined || this.host.gate.cancels.tryTake(record.endpointId)) {
        if (controller) controller.abort();
        else if (record?.cancel) record.cancel();
        else this.host.counts.lossesLeftRunning++;
      } else this.host.counts.lossesLeftRunning++;
    }
  }

  #launch(index: number): void {
    this.#live++;
    let options = this.options;
    if (index > 0 || !this.host.transportCancels) {
      const controller = new AbortController();
      (this.#controllers ??= [])[index] = controller;
      options = extendOptions(options, { signal: controller.signal });
      if (!this.#onOuterAbort && this.options.signal) {
        this.#onOuterAbort = () => {
          for (const controller of this.#controllers!) controller?.abort();
        };
        this.options.signal.addEventListener('abort', this.#onOuterAbort);
      }
    }
    // A unary attempt answers with its first result: done, and the message as its value.
    this.call
      .next(this.call.request, options)
      .next()
      .then(
        (result) => (result.done ? this.#won(index, result.value) : this.#failed(index, new Error(YIELDED))),
        (error: unknown) => this.#failed(index, error),
      );
  }

  #won(index: number, result: unknown): void {
    this.#settled |= 1 << index;
    if (this.#done) return;
    this.#finish();
    this.winner = index;
    const { host } = this;
    if (index > 0) host.counts.hedgeWins++;
    host.delays?.record(this.call.method.path, host.clock.now() - this.#started);
    if (this.hedges > 0 && this.bet) host.gate.betEnded(this.call.method.path, index > 0);
    this.#end();
    this.#resolve({ done: true, value: result });
  }

  #failed(index: number, error: unknown): void {
    this.#settled |= 1 << index;
    this.#live--;
    (this.#errors ??= []).push(error);
    // Every attempt sent so far failed: a failure is the retry layer's business, not ours.
    if (!this.#done && this.#live === 0) {
      this.#finish();
      this.#end();
      this.#reject(this.#errors[0]);
    }
  }

  #finish(): void {
    this.#done = true;
    if (this.#deadline !== undefined) this.host.deadlines.cancel(this.#deadline);
  }

  #schedule(): void {
    if (this.hedges >= this.host.maxHedges) return;
    this.#deadline = this.host.deadlines.add(this.delayMs, HedgedCall.#due, this);
  }

  static #due(call: HedgedCall): void {
    call.#deadline = undefined;
    if (call.#done) return;
    // Timers run before the event loop reads its sockets. After a stall (a GC pause, a long
    // callback) the primary's answer may be waiting there already, its lateness our own: decide
    // once what has arrived is read, at the end of this turn of the loop.
    call.host.afterIo(HedgedCall.#decide, call);
  }

  static #decide(call: HedgedCall): void {
    if (!call.#done) call.#backupDue();
  }

  #backupDue(): void {
    const context = this.context;
    const verdict = this.host.gate.decide({
      method: this.call.method.path,
      delayMs: this.delayMs,
      primary: context.attempts[this.first]?.endpointId,
      eligible: context.eligibleEndpoints,
      avoid: context.avoid(),
      estimates: context.estimates,
    });
    const { counts } = this.host;
    if (!verdict.send) return this.#skip(verdict.why);
    if (verdict.likely) {
      this.bet = false;
      counts.hedgesLikely++;
    }
    this.hedges++;
    counts.hedges++;
    context.hedges++;
    this.#launch(this.hedges);
    this.#schedule();
  }

  #skip(why: HedgeSkip): void {
    this.host.counts.skipped++;
    this.host.skippedBecause[why]++;
    if (why === 'share-spent' || why === 'retry-budget')
      this.context.note({ type: 'budget-refused', refused: 'hedge' });
    this.host.logger.debug({ method: this.call.method.path }, `hedge skipped: ${why}`);
  }
}

const YIELDED = 'hedging: a unary call yielded a message';
