import { extendOptions, type CallContext, type Logger } from '@ballast/core';
import type { CallOptions, ClientMiddlewareCall } from 'nice-grpc-common';
import type { DeadlineQueue, Deadline } from './deadline-queue.js';
import type { HedgeGate, HedgeSkip } from './hedge-gate.js';

/** What every hedged call of one hedging middleware shares. */
export interface HedgingHost {
  readonly gate: HedgeGate;
  readonly deadlines: DeadlineQueue;
  readonly maxHedges: number;
  readonly logger: Logger;
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
 */
export class HedgedCall {
  /** The attempts' controllers, by index; the primary's only when the transport cannot cancel it. */
  #controllers: (AbortController | undefined)[] | undefined;
  #settled = 0;
  #live = 0;
  #done = false;
  #errors: unknown[] | undefined;
  #deadline: Deadline | undefined;
  #listening = false;
  #resolve!: (value: unknown) => void;
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

  run(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      this.#launch(0);
      this.#schedule();
    });
  }

  /**
   * After the answer: the losers cancelled so they stop holding server capacity, while their
   * endpoint's cancellation rate allows; otherwise left to finish (no RST_STREAM), answer dropped.
   */
  end(): void {
    const outer = this.options.signal;
    if (this.#listening) outer!.removeEventListener('abort', this.#onOuterAbort);
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
      if (!this.#listening && this.options.signal) {
        this.#listening = true;
        this.options.signal.addEventListener('abort', this.#onOuterAbort);
      }
    }
    drainUnary(this.call.next(this.call.request, options)).then(
      (result) => this.#won(index, result),
      (error: unknown) => this.#failed(index, error),
    );
  }

  #won(index: number, result: unknown): void {
    this.#settled |= 1 << index;
    if (this.#done) return;
    this.#finish();
    this.winner = index;
    if (index > 0) this.host.counts.hedgeWins++;
    this.#resolve(result);
  }

  #failed(index: number, error: unknown): void {
    this.#settled |= 1 << index;
    this.#live--;
    (this.#errors ??= []).push(error);
    // Every attempt sent so far failed: a failure is the retry layer's business, not ours.
    if (!this.#done && this.#live === 0) {
      this.#finish();
      this.#reject(this.#errors[0]);
    }
  }

  #finish(): void {
    this.#done = true;
    if (this.#deadline !== undefined) this.host.deadlines.cancel(this.#deadline);
  }

  #schedule(): void {
    if (this.hedges >= this.host.maxHedges) return;
    this.#deadline = this.host.deadlines.add(this.delayMs, this.#due);
  }

  readonly #due = () => {
    this.#deadline = undefined;
    if (this.#done) return;
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
  };

  readonly #onOuterAbort = () => {
    for (const controller of this.#controllers!) controller?.abort();
  };

  #skip(why: HedgeSkip): void {
    this.host.counts.skipped++;
    this.host.skippedBecause[why]++;
    if (why === 'share-spent' || why === 'retry-budget')
      this.context.note({ type: 'budget-refused', refused: 'hedge' });
    this.host.logger.debug({ method: this.call.method.path }, `hedge skipped: ${why}`);
  }
}

async function drainUnary<T>(iterable: AsyncIterable<T>): Promise<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  const result = await iterator.next();
  if (!result.done) throw new Error('hedging: a unary call yielded a message');
  return result.value;
}
