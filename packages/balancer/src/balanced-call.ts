import * as grpc from '@grpc/grpc-js';
import type { AttemptRecord, CallContext, Disposer } from '@ballast/core';
import type { EndpointEntry, MovableAttempt } from './endpoint-table.js';
import type { Pick } from './picker.js';

export type GrpcCall = ReturnType<grpc.ChannelInterface['createCall']>;
type MessageContext = Parameters<GrpcCall['sendMessageWithContext']>[0];
type CallCredentials = Parameters<GrpcCall['setCredentials']>[0];

export type ParentCall = Parameters<grpc.ChannelInterface['createCall']>[3];

/** What the attempt went to, handed back when it ends. */
export interface Attempt {
  readonly entry: EndpointEntry;
  readonly pick: Pick;
  readonly method: string;
  readonly startedAt: number;
  /** The call's context and this attempt in it, when the call has one. */
  readonly context: CallContext | undefined;
  readonly record: AttemptRecord | undefined;
  /** Set when the attempt may be moved off its endpoint (see CallContext.movable). */
  readonly movable: MovableAttempt | undefined;
}

export type PickAnswer =
  | { readonly type: 'picked'; readonly attempt: Attempt; readonly metadata: grpc.Metadata }
  | { readonly type: 'failed'; readonly code: grpc.status; readonly reason: string }
  | { readonly type: 'unavailable'; readonly reason: string; readonly waitForReady: boolean };

/** The channel as a call sees it. */
export interface CallHost {
  pick(method: string, metadata: grpc.Metadata, context: CallContext | undefined, call: MovableAttempt): PickAnswer;
  onPickerChange(listener: () => void): Disposer;
  /** Books the attempt's outcome; `cancelledHere` when this side cancelled it (no signal then). */
  finish(attempt: Attempt, status: grpc.StatusObject, cancelledHere: boolean): void;
}

/**
 * Where a call is: `created` until start; `waiting` for an endpoint (wait-for-ready); `ending`
 * when its status is decided and goes out on the next tick; `active` on the chosen endpoint's
 * call; `done` once the status is delivered.
 */
type CallState = 'created' | 'waiting' | 'ending' | 'active' | 'done';

let callNumber = 0;

/**
 * A grpc-js Call that picks its endpoint only at `start`, when the request metadata is known, so
 * every attempt a retry middleware makes is a fresh pick. Until the pick lands (wait-for-ready),
 * writes, half-close and reads are queued and replayed in order on the chosen endpoint's call.
 *
 * It is also the listener of the endpoint's call, relaying its events to the caller's listener.
 * State lives in fields rather than in an object per state: with 64 calls in flight, every
 * object a call keeps alive while it waits is copied by each young-generation collection.
 */
export class BalancedCall implements GrpcCall, grpc.InterceptingListener, MovableAttempt {
  #state: CallState = 'created';
  #cancelledHere = false;
  #inner: GrpcCall | undefined;
  #attempt: Attempt | undefined;
  #stopWaiting: Disposer | undefined;
  #listener: grpc.InterceptingListener | undefined;
  #credentials: CallCredentials | undefined;
  #pending: ((call: GrpcCall) => void)[] | undefined;
  #earlyCancel: { code: grpc.status; details: string } | undefined;
  readonly #number = ++callNumber;

  constructor(
    private readonly host: CallHost,
    private readonly method: string,
    private readonly deadline: grpc.Deadline,
    private readonly authority: string | null | undefined,
    private readonly parentCall: ParentCall,
    private readonly propagateFlags: number | null | undefined,
    private readonly context: CallContext | undefined,
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
    if (this.#state === 'active') this.#inner!.sendMessageWithContext(context, message);
    else this.#later((call) => call.sendMessageWithContext(context, message), context.callback);
  }

  startRead(): void {
    if (this.#state === 'active') this.#inner!.startRead();
    else this.#later((call) => call.startRead());
  }

  halfClose(): void {
    if (this.#state === 'active') this.#inner!.halfClose();
    else this.#later((call) => call.halfClose());
  }

  cancelWithStatus(code: grpc.status, details: string): void {
    const state = this.#state;
    this.#cancelledHere = true;
    if (state === 'active') this.#inner!.cancelWithStatus(code, details);
    else if (state === 'created' && !this.#listener) this.#earlyCancel = { code, details };
    else if (state === 'waiting') {
      // Stop waiting now but report later, as grpc-js does: nice-grpc's abort handling expects
      // the cancelled status after it has settled the call as aborted.
      this.#stopWaiting?.();
      this.#endSoon(code, details);
    }
  }

  /**
   * The endpoint was taken out while this attempt ran on it: end the attempt UNAVAILABLE so the
   * call's retry sends it elsewhere. Only attempts whose call may move are registered for this.
   */
  moveOff(reason: string): boolean {
    if (this.#state !== 'active') return false;
    const attempt = this.#attempt!;
    // Nothing would send it again (retries or budget spent): finishing where it is beats failing.
    if (attempt.context?.reserveReissue?.() === false) return false;
    if (attempt.record) attempt.record.movedBecause = reason;
    attempt.context?.note({ type: 'moved', endpointId: attempt.entry.endpoint.id, reason });
    // The move is the balancer's own protective act: the endpoint's failure was already counted
    // by whatever took it out, so the cancelled attempt carries no further signal.
    this.#cancelledHere = true;
    this.#inner!.cancelWithStatus(
      grpc.status.UNAVAILABLE,
      `attempt moved off endpoint "${attempt.entry.endpoint.id}" (${reason}); another endpoint takes it`,
    );
    return true;
  }

  getPeer(): string {
    return this.#state === 'active' ? this.#inner!.getPeer() : '';
  }

  getCallNumber(): number {
    return this.#number;
  }

  setCredentials(credentials: CallCredentials): void {
    this.#credentials = credentials;
    if (this.#state === 'active') this.#inner!.setCredentials(credentials);
  }

  getAuthContext(): ReturnType<GrpcCall['getAuthContext']> {
    return this.#state === 'active' ? this.#inner!.getAuthContext() : null;
  }

  // The endpoint's call reports here; each event goes on to the caller's listener.

  onReceiveMetadata(metadata: grpc.Metadata): void {
    this.#listener!.onReceiveMetadata(metadata);
  }

  onReceiveMessage(message: unknown): void {
    this.#listener!.onReceiveMessage(message);
  }

  onReceiveStatus(status: grpc.StatusObject): void {
    const attempt = this.#attempt!;
    this.#state = 'done';
    this.#inner = undefined;
    this.#attempt = undefined;
    // Booked before the caller hears of it, so a retry's next pick sees this attempt's outcome.
    this.host.finish(attempt, status, this.#cancelledHere);
    this.#listener!.onReceiveStatus(status);
  }

  #tryStart(metadata: grpc.Metadata): void {
    const answer = this.host.pick(this.method, metadata, this.context, this);
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
    const deadline = this.deadline instanceof Date ? this.deadline.getTime() : this.deadline;
    let timer: NodeJS.Timeout | undefined;
    const stopWatching = this.host.onPickerChange(() => {
      if (this.#state !== 'waiting') return;
      const answer = this.host.pick(this.method, metadata, this.context, this);
      if (answer.type === 'failed') {
        this.#endLocally(answer.code, answer.reason);
        return;
      }
      if (answer.type !== 'picked') {
        // Still nothing to pick: keep waiting, unless waiting itself ended (the channel closed).
        if (!answer.waitForReady) this.#endLocally(grpc.status.UNAVAILABLE, answer.reason);
        return;
      }
      this.#stopWaiting?.();
      this.#startOn(answer.attempt, answer.metadata);
    });
    this.#stopWaiting = () => {
      this.#stopWaiting = undefined;
      stopWatching();
      if (timer) clearTimeout(timer);
    };
    if (Number.isFinite(deadline)) {
      timer = setTimeout(
        () => this.#endLocally(grpc.status.DEADLINE_EXCEEDED, `deadline passed while waiting for ready: ${reason}`),
        Math.max(0, deadline - Date.now()),
      );
    }
    this.#state = 'waiting';
  }

  #startOn(attempt: Attempt, metadata: grpc.Metadata): void {
    const inner = attempt.entry
      .channel()
      .createCall(this.method, this.deadline, this.authority, this.parentCall, this.propagateFlags);
    if (this.#credentials) inner.setCredentials(this.#credentials);
    this.#state = 'active';
    this.#inner = inner;
    this.#attempt = attempt;
    if (attempt.record)
      attempt.record.cancel = () => this.cancelWithStatus(grpc.status.CANCELLED, 'Cancelled on client');
    inner.start(metadata, this);
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending) for (const operation of pending) operation(inner);
  }

  /** An operation before the pick landed: queued, or (after the call ended) dropped. */
  #later(operation: (call: GrpcCall) => void, callback?: (error?: Error | null) => void): void {
    const state = this.#state;
    if (state === 'done' || state === 'ending') callback?.();
    else (this.#pending ??= []).push(operation);
  }

  /** Ends the call on a later tick: grpc-js callers attach their handlers after start() returns. */
  #endSoon(code: grpc.status, details: string): void {
    this.#state = 'ending';
    process.nextTick(() => this.#endLocally(code, details));
  }

  #endLocally(code: grpc.status, details: string): void {
    const state = this.#state;
    if (state === 'done' || state === 'active') return;
    if (state === 'waiting') this.#stopWaiting?.();
    this.#state = 'done';
    this.#pending = undefined;
    this.#listener?.onReceiveStatus({ code, details, metadata: new grpc.Metadata() });
  }
}
