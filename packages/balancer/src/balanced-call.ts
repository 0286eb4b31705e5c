import * as grpc from '@grpc/grpc-js';
import type { Disposer } from '@ballast/core';
import type { PoolEntry } from './endpoint-pool.js';
import type { Pick } from './picker.js';

export type GrpcCall = ReturnType<grpc.ChannelInterface['createCall']>;
type MessageContext = Parameters<GrpcCall['sendMessageWithContext']>[0];
type CallCredentials = Parameters<GrpcCall['setCredentials']>[0];

export interface CallParams {
  readonly method: string;
  readonly deadline: grpc.Deadline;
  readonly host: string | null | undefined;
  readonly parentCall: Parameters<grpc.ChannelInterface['createCall']>[3];
  readonly propagateFlags: number | null | undefined;
}

/** What the attempt went to, handed back when it ends. */
export interface Attempt {
  readonly entry: PoolEntry;
  readonly pick: Pick;
  readonly method: string;
  readonly startedAt: number;
  /** The call's `ballast-call` token, when its attempts are kept apart (hedging). */
  readonly token?: string;
}

export type PickAnswer =
  | { readonly type: 'picked'; readonly attempt: Attempt; readonly metadata: grpc.Metadata }
  | { readonly type: 'failed'; readonly code: grpc.status; readonly reason: string }
  | { readonly type: 'unavailable'; readonly reason: string; readonly waitForReady: boolean };

/** The channel as a call sees it. */
export interface CallHost {
  pick(method: string, metadata: grpc.Metadata): PickAnswer;
  onPickerChange(listener: () => void): Disposer;
  /** Books the attempt's outcome and stamps the `ballast-endpoint` trailer into `status.metadata`. */
  finish(attempt: Attempt, status: grpc.StatusObject): void;
}

type CallState =
  | { readonly kind: 'created' }
  | { readonly kind: 'waiting'; readonly stop: Disposer }
  /** The status is decided and will be delivered on the next tick. */
  | { readonly kind: 'ending' }
  | { readonly kind: 'active'; readonly inner: GrpcCall; readonly attempt: Attempt }
  | { readonly kind: 'done' };

let callNumber = 0;

const DONE: CallState = { kind: 'done' };

/** Relays the chosen endpoint's events to the caller, booking the attempt when it ends. */
class AttemptListener implements grpc.InterceptingListener {
  constructor(
    private readonly call: BalancedCall,
    private readonly attempt: Attempt,
    private readonly listener: grpc.InterceptingListener,
  ) {}

  onReceiveMetadata(metadata: grpc.Metadata): void {
    this.listener.onReceiveMetadata(metadata);
  }

  onReceiveMessage(message: unknown): void {
    this.listener.onReceiveMessage(message);
  }

  onReceiveStatus(status: grpc.StatusObject): void {
    this.call.attemptEnded(this.attempt, status);
    this.listener.onReceiveStatus(status);
  }
}

/**
 * A grpc-js Call that picks its endpoint only at `start`, when the request metadata is known, so
 * every attempt a retry middleware makes is a fresh pick. Until the pick lands (wait-for-ready),
 * writes, half-close and reads are queued and replayed in order on the chosen endpoint's call.
 */
export class BalancedCall implements GrpcCall {
  #state: CallState = { kind: 'created' };
  #listener: grpc.InterceptingListener | undefined;
  #credentials: CallCredentials | undefined;
  #pending: ((call: GrpcCall) => void)[] | undefined;
  #earlyCancel: { code: grpc.status; details: string } | undefined;
  readonly #number = ++callNumber;

  constructor(
    private readonly host: CallHost,
    private readonly params: CallParams,
  ) {}

  start(metadata: grpc.Metadata, listener: grpc.InterceptingListener): void {
    this.#listener = listener;
    if (this.#earlyCancel) {
      const { code, details } = this.#earlyCancel;
      this.#endSoon(code, details);
      return;
    }
    this.#tryStart(metadata);
  }

  // The active case comes first and allocates nothing: it is every operation of every call
  // whose pick landed at once.
  sendMessageWithContext(context: MessageContext, message: Buffer): void {
    const state = this.#state;
    if (state.kind === 'active') state.inner.sendMessageWithContext(context, message);
    else this.#later((call) => call.sendMessageWithContext(context, message), context.callback);
  }

  startRead(): void {
    const state = this.#state;
    if (state.kind === 'active') state.inner.startRead();
    else this.#later((call) => call.startRead());
  }

  halfClose(): void {
    const state = this.#state;
    if (state.kind === 'active') state.inner.halfClose();
    else this.#later((call) => call.halfClose());
  }

  cancelWithStatus(code: grpc.status, details: string): void {
    const state = this.#state;
    if (state.kind === 'active') state.inner.cancelWithStatus(code, details);
    else if (state.kind === 'created' && !this.#listener) this.#earlyCancel = { code, details };
    else if (state.kind === 'waiting') {
      // Stop waiting now but report later, as grpc-js does: nice-grpc's abort handling expects
      // the cancelled status after it has settled the call as aborted.
      state.stop();
      this.#endSoon(code, details);
    }
  }

  getPeer(): string {
    const state = this.#state;
    return state.kind === 'active' ? state.inner.getPeer() : '';
  }

  getCallNumber(): number {
    return this.#number;
  }

  setCredentials(credentials: CallCredentials): void {
    this.#credentials = credentials;
    if (this.#state.kind === 'active') this.#state.inner.setCredentials(credentials);
  }

  getAuthContext(): ReturnType<GrpcCall['getAuthContext']> {
    return this.#state.kind === 'active' ? this.#state.inner.getAuthContext() : null;
  }

  #tryStart(metadata: grpc.Metadata): void {
    const answer = this.host.pick(this.params.method, metadata);
    if (answer.type === 'picked') {
      this.#startOn(answer.attempt, answer.metadata);
      return;
    }
    if (answer.type === 'failed' || !answer.waitForReady) {
      const code = answer.type === 'failed' ? answer.code : grpc.status.UNAVAILABLE;
      this.#endSoon(code, answer.reason);
      return;
    }
    this.#waitForEndpoint(metadata, answer.reason);
  }

  #waitForEndpoint(metadata: grpc.Metadata, reason: string): void {
    const deadline = this.params.deadline instanceof Date ? this.params.deadline.getTime() : this.params.deadline;
    let timer: NodeJS.Timeout | undefined;
    const stopWatching = this.host.onPickerChange(() => {
      if (this.#state.kind !== 'waiting') return;
      const answer = this.host.pick(this.params.method, metadata);
      if (answer.type === 'failed') {
        this.#endLocally(answer.code, answer.reason);
        return;
      }
      if (answer.type !== 'picked') {
        // Still nothing to pick: keep waiting, unless waiting itself ended (the channel closed).
        if (!answer.waitForReady) this.#endLocally(grpc.status.UNAVAILABLE, answer.reason);
        return;
      }
      stop();
      this.#startOn(answer.attempt, answer.metadata);
    });
    const stop = (): void => {
      stopWatching();
      if (timer) clearTimeout(timer);
    };
    if (Number.isFinite(deadline)) {
      timer = setTimeout(
        () => this.#endLocally(grpc.status.DEADLINE_EXCEEDED, `deadline passed while waiting for ready: ${reason}`),
        Math.max(0, deadline - Date.now()),
      );
    }
    this.#state = { kind: 'waiting', stop };
  }

  #startOn(attempt: Attempt, metadata: grpc.Metadata): void {
    const p = this.params;
    const inner = attempt.entry.channel().createCall(p.method, p.deadline, p.host, p.parentCall, p.propagateFlags);
    if (this.#credentials) inner.setCredentials(this.#credentials);
    this.#state = { kind: 'active', inner, attempt };
    inner.start(metadata, new AttemptListener(this, attempt, this.#listener!));
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending) for (const operation of pending) operation(inner);
  }

  /** Called by the attempt's listener before the status reaches the caller. */
  attemptEnded(attempt: Attempt, status: grpc.StatusObject): void {
    this.#state = DONE;
    this.host.finish(attempt, status);
  }

  /** An operation before the pick landed: queued, or (after the call ended) dropped. */
  #later(operation: (call: GrpcCall) => void, callback?: (error?: Error | null) => void): void {
    const kind = this.#state.kind;
    if (kind === 'done' || kind === 'ending') callback?.();
    else (this.#pending ??= []).push(operation);
  }

  /** Ends the call on a later tick: grpc-js callers attach their handlers after start() returns. */
  #endSoon(code: grpc.status, details: string): void {
    this.#state = { kind: 'ending' };
    process.nextTick(() => this.#endLocally(code, details));
  }

  #endLocally(code: grpc.status, details: string): void {
    const state = this.#state;
    if (state.kind === 'done' || state.kind === 'active') return;
    if (state.kind === 'waiting') state.stop();
    this.#state = DONE;
    this.#pending = undefined;
    this.#listener?.onReceiveStatus({ code, details, metadata: new grpc.Metadata() });
  }
}
