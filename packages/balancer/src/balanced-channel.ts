import * as grpc from '@grpc/grpc-js';
import {
  classify,
  Emitter,
  MetadataKeys,
  parsePushback,
  partLogger,
  StaticEndpointSource,
  type CallContext,
  type CallOutcome,
  type Disposer,
  type Endpoint,
  type EndpointSource,
  type LatencyEstimates,
  type LoadReport,
} from '@ballast/core';
import { BalancedCall, type Attempt, type CallHost, type ParentCall, type PickAnswer } from './balanced-call.js';
import { parseChannelOptions, type BalancedChannelOptions, type ParsedChannelOptions } from './channel-options.js';
import { aggregateConnectivity, watchConnectivity } from './connectivity.js';
import { createPolicy } from './create-policy.js';
import { EndpointTable, type EndpointStats, type MovableAttempt } from './endpoint-table.js';
import type { Pick, Picker, Policy } from './picker.js';
import { PickerLayers } from './picker-layers.js';
import { subscribeLoadReports } from './subscribe-load-reports.js';
import { readLoadReport } from './read-load-report.js';
import { pickMetadata, wantsWaitForReady, wireMetadata } from './request-metadata.js';

const NOTHING_EXCLUDED: ReadonlySet<string> = new Set();
/** A pick refused before any attempt was sent: no signal. */
const NOT_SENT = { code: grpc.status.CANCELLED, signal: 'cancelled', latencyMs: 0 } as const;
const ADMIT_TRIES = 3;
const REFUSED = 'the endpoints chosen are not admitting attempts now (half-open breakers at their probe limit)';

function pushbackText(trailers: grpc.Metadata): string | undefined {
  const value = trailers.get(MetadataKeys.retryPushbackMs)[0];
  return typeof value === 'string' ? value : undefined;
}

/** The attempt's own copy of the call's metadata when an observer adds headers to it. */
function withHeaders(metadata: grpc.Metadata, headers: Readonly<Record<string, string>> | undefined): grpc.Metadata {
  if (headers === undefined) return metadata;
  const copy = metadata.clone();
  for (const [key, value] of Object.entries(headers)) copy.set(key, value);
  return copy;
}

/** What a balanced channel adds to a grpc-js channel. */
export interface BalancedChannelControls {
  /** The endpoints the source publishes now (eligible or not). */
  endpoints(): readonly Endpoint[];
  /** Per-endpoint in-flight attempts, picks and eligibility. */
  stats(): EndpointStats[];
  /** The endpoint table this channel picks from (shared when the options gave one). */
  readonly table: EndpointTable;
  /**
   * A call whose attempts share `context` with the layers above (retry, hedging): the pick
   * avoids endpoints the call already failed on or is in flight on, each attempt's outcome is
   * written into it, and a movable attempt is re-issued elsewhere when its endpoint is taken out.
   */
  createContextCall(method: string, deadline: grpc.Deadline, context: CallContext): BalancedCall;
  /** Stops the source subscription and closes every endpoint connection; later calls fail UNAVAILABLE. */
  close(): void;
}

/**
 * A channel that balances every call over a changing set of endpoints. Typed as grpc-js's
 * `Channel` class because that is what nice-grpc's `createClient` accepts; it implements the
 * `ChannelInterface` that grpc-js's Client actually uses (nothing reads the class's private state).
 */
export type BalancedChannel = grpc.Channel & BalancedChannelControls;

type PickerState =
  | { readonly type: 'ready'; readonly picker: Picker }
  | { readonly type: 'empty'; readonly reason: string }
  | { readonly type: 'closed'; readonly reason: string };

let channelId = 0;

/**
 * Creates the balanced channel; pass it to nice-grpc's `createClient(Definition, channel)`.
 * Options are checked here: a bad policy name or option throws now, never at call time.
 */
export function createBalancedChannel(options: BalancedChannelOptions): BalancedChannel {
  return new BalancedChannelImpl(parseChannelOptions(options)) as unknown as BalancedChannel;
}

class BalancedChannelImpl implements grpc.ChannelInterface, BalancedChannelControls, CallHost {
  readonly #service: string;
  readonly #logger;
  readonly #clock;
  readonly #policy;
  readonly #health;
  // Outcomes are emitted inside finish(), on the call path: a listener that throws is logged and
  // never fails the call or keeps the other listeners from hearing it.
  readonly #outcomes: Emitter<CallOutcome>;
  readonly #waitForReady: boolean;
  readonly #layers: PickerLayers;
  readonly table: EndpointTable;
  readonly #ownsTable: boolean;
  readonly #disposers: Disposer[] = [];
  readonly #pickerChanges: Emitter<void>;
  readonly #ref = { kind: 'channel', id: ++channelId, name: '' } as unknown as ReturnType<
    grpc.ChannelInterface['getChannelzRef']
  >;
  #endpoints: readonly Endpoint[] = [];
  #eligible: ReadonlySet<string> = new Set();
  #state: PickerState = { type: 'empty', reason: 'no endpoints' };
  readonly #estimates: LatencyEstimates | undefined;

  constructor(options: ParsedChannelOptions) {
    this.#service = options.service;
    this.#ref.name = `ballast:///${options.service}`;
    // The caller's logger, bound to this service, is the parent of the channel's parts (its table,
    // its policy); the channel's own records are its `ballast.balancer.channel` child.
    const parent = options.logger?.child({ service: options.service });
    this.#logger = partLogger('balancer', 'channel', options.logger).child({ service: options.service });
    this.#outcomes = new Emitter('call outcome', this.#logger);
    this.#pickerChanges = new Emitter('picker change', this.#logger);
    for (const listener of options.onOutcome === undefined ? [] : [options.onOutcome].flat()) {
      this.#outcomes.on(listener);
    }
    this.#clock = options.clock;
    this.#health = options.health;
    this.#waitForReady = options.waitForReady;
    this.#ownsTable = options.table === undefined;
    this.table =
      options.table ??
      new EndpointTable({
        // A bad static list throws here, from StaticEndpointSource.
        source: Array.isArray(options.source)
          ? new StaticEndpointSource(options.source as readonly (Endpoint | string)[])
          : (options.source as EndpointSource),
        credentials: options.credentials,
        channelOptions: options.channelOptions,
        logger: parent,
      });
    this.#policy = createPolicy({ ...options, logger: parent, inFlight: this.table.inFlight });
    this.#layers = new PickerLayers(this.#policy, options.zone, options.slowStart, this.#clock, options.random);
    this.#estimates = this.#policy.latencyMs && latencyEstimates(this.#policy, () => this.#state);
    // The detector may hear of a new endpoint list before this channel does, and tell of a health
    // change at once: read the table's list then, so the picker is built once, over the new list.
    this.#disposers.push(this.#health.onChange(() => this.#setEndpoints(this.table.current(), 'health changed')));
    if (this.#policy.onStale) this.#disposers.push(this.#policy.onStale(() => this.#rebuild('policy state changed')));
    this.#disposers.push(this.table.subscribe((list) => this.#setEndpoints(list, 'endpoints changed')));
    const { oobReportPeriodMs, onLoadReport } = this.#policy;
    if (oobReportPeriodMs !== undefined && onLoadReport !== undefined) {
      const onReport = (endpointId: string, report: LoadReport) => onLoadReport.call(this.#policy, endpointId, report);
      this.#disposers.push(subscribeLoadReports(this.table, oobReportPeriodMs, onReport, this.#logger));
    }
  }

  endpoints(): readonly Endpoint[] {
    return this.#endpoints;
  }

  stats(): EndpointStats[] {
    return this.table.stats(this.#eligible);
  }

  pick(method: string, metadata: grpc.Metadata, context: CallContext | undefined, call: MovableAttempt): PickAnswer {
    const state = this.#state;
    if (state.type !== 'ready') {
      const waitForReady =
        state.type === 'empty' && (context?.waitForReady || (wantsWaitForReady(metadata) ?? this.#waitForReady));
      return { type: 'unavailable', reason: `${this.#service}: ${state.reason}`, waitForReady };
    }
    let exclude = context === undefined ? NOTHING_EXCLUDED : context.avoid();
    const request = { method, metadata: pickMetadata(metadata), exclude };
    let pick: Pick;
    try {
      pick = state.picker.pick(request);
      // A view that admits attempts one by one (a half-open breaker lets only its probes through)
      // may refuse the endpoint chosen: choose again without it, a few times at most.
      const admit = this.#health.admit;
      for (let tries = 1; admit !== undefined && !admit(pick.endpoint.id); tries++) {
        pick.done(NOT_SENT);
        context?.note({ type: 'breaker-refused', scope: 'endpoint', name: pick.endpoint.id });
        if (tries >= ADMIT_TRIES) {
          return { type: 'failed', code: grpc.status.UNAVAILABLE, reason: `${this.#service}: ${REFUSED}` };
        }
        exclude = new Set([...exclude, pick.endpoint.id]);
        pick = state.picker.pick({ ...request, exclude });
      }
    } catch (error) {
      // A custom policy or hash-key function that throws fails this call only.
      this.#logger.error({ err: error, method }, 'picker threw; failing this call');
      return { type: 'failed', code: grpc.status.INTERNAL, reason: `${this.#service}: the balancer's picker threw` };
    }
    const entry = this.table.get(pick.endpoint.id);
    if (!entry) {
      pick.done({ code: grpc.status.INTERNAL, signal: 'endpoint-failing', latencyMs: 0 });
      this.#logger.error({ endpoint: pick.endpoint.id, method }, 'picker chose an endpoint it was not given');
      return {
        type: 'failed',
        code: grpc.status.INTERNAL,
        reason: `${this.#service}: the balancer picked unknown endpoint "${pick.endpoint.id}"`,
      };
    }
    if (context) {
      context.eligibleEndpoints = state.picker.endpoints.length;
      context.estimates = this.#estimates;
    }
    const movable = context?.movable ? call : undefined;
    this.table.acquire(entry, movable);
    const record = context?.begin(entry.endpoint.id);
    const attempt: Attempt = { entry, pick, method, startedAt: this.#clock.now(), context, record, movable };
    const headers = record && context!.observer?.attemptStarted(record, entry.endpoint);
    return { type: 'picked', attempt, metadata: withHeaders(wireMetadata(metadata), headers) };
  }

  onPickerChange(listener: () => void): Disposer {
    return this.#pickerChanges.on(listener);
  }

  finish(attempt: Attempt, status: grpc.StatusObject, cancelledHere: boolean): void {
    const endpointId = attempt.entry.endpoint.id;
    const code = status.code;
    const load = readLoadReport(status.metadata);
    const latencyMs = Math.max(0, this.#clock.now() - attempt.startedAt);
    const signal = classify(code, cancelledHere);
    this.table.release(attempt.entry, attempt.movable);
    const record = attempt.record;
    if (record) {
      record.code = code;
      record.signal = signal;
    }
    if (attempt.context && code !== 0) attempt.context.pushbackMs = parsePushback(pushbackText(status.metadata));
    if (record) attempt.context!.observer?.attemptEnded(record);
    // One object serves as the policy's AttemptResult and the listeners' CallOutcome.
    const outcome: CallOutcome =
      load === undefined
        ? { endpointId, code, signal, latencyMs, method: attempt.method }
        : { endpointId, code, signal, latencyMs, method: attempt.method, load };
    attempt.pick.done(outcome);
    this.#outcomes.emit(outcome);
  }

  createCall(
    method: string,
    deadline: grpc.Deadline,
    host: string | null | undefined,
    parentCall: ParentCall,
    propagateFlags: number | null | undefined,
  ): BalancedCall {
    return new BalancedCall(this, method, deadline, host, parentCall, propagateFlags, undefined);
  }

  createContextCall(method: string, deadline: grpc.Deadline, context: CallContext): BalancedCall {
    return new BalancedCall(this, method, deadline, undefined, null, undefined, context);
  }

  close(): void {
    if (this.#state.type === 'closed') return;
    this.#state = { type: 'closed', reason: 'the balanced channel is closed' };
    for (const dispose of this.#disposers.splice(0)) dispose();
    if (this.#ownsTable) this.table.close();
    this.#notifyPickerChange();
    this.#logger.info('balanced channel closed');
  }

  getTarget(): string {
    return `ballast:///${this.#service}`;
  }

  getConnectivityState(tryToConnect: boolean): grpc.connectivityState {
    if (this.#state.type === 'closed') return grpc.connectivityState.SHUTDOWN;
    return aggregateConnectivity(
      [...this.table.entries()].map((e) => (tryToConnect ? e.channel().getConnectivityState(true) : e.state())),
    );
  }

  watchConnectivityState(current: grpc.connectivityState, deadline: Date | number, callback: (error?: Error) => void) {
    watchConnectivity(() => this.getConnectivityState(false), current, deadline, callback);
  }

  getChannelzRef(): ReturnType<grpc.ChannelInterface['getChannelzRef']> {
    return this.#ref;
  }

  #setEndpoints(list: readonly Endpoint[], reason: string): void {
    if (this.#state.type === 'closed') return;
    // The table's list: valid, deduplicated; the same array until it changes.
    if (list === this.#endpoints && reason === 'endpoints changed') return;
    this.#endpoints = list;
    this.#rebuild(reason);
  }

  #rebuild(reason: string): void {
    if (this.#state.type === 'closed') return;
    const all = this.#endpoints;
    const known = new Set(all.map((e) => e.id));
    let eligible: readonly Endpoint[];
    try {
      eligible = this.#health.eligible(all).filter((e) => known.has(e.id));
    } catch (error) {
      this.#logger.error({ err: error, reason }, 'health view threw; treating every endpoint as eligible');
      eligible = all;
    }
    const previous = this.#eligible;
    this.#eligible = new Set(eligible.map((e) => e.id));
    const takenOut: string[] = [];
    for (const endpoint of all) {
      const now = this.#eligible.has(endpoint.id);
      if (now === previous.has(endpoint.id)) continue;
      if (!now) takenOut.push(endpoint.id);
      this.#logger.info(
        { endpoint: endpoint.id, reason },
        now ? 'endpoint takes picks' : 'endpoint no longer takes picks',
      );
    }
    if (eligible.length === 0) {
      const why = all.length === 0 ? 'no endpoints' : `all ${all.length} endpoints ejected`;
      this.#state = { type: 'empty', reason: why };
    } else {
      try {
        this.#state = { type: 'ready', picker: this.#layers.build(all, eligible) };
      } catch (error) {
        this.#logger.error({ err: error, reason }, 'picker build failed; keeping the previous picker');
        return;
      }
    }
    this.#logger.debug({ reason, endpoints: all.length, eligible: eligible.length }, 'picker rebuilt');
    this.#notifyPickerChange();
    // Work in flight on an endpoint that was taken out (frozen, crashed, NOT_SERVING, ejected)
    // would wait for its deadline there: idempotent attempts go elsewhere now. Only when another
    // endpoint can take them: with nothing eligible they would only fail sooner.
    if (eligible.length > 0) for (const id of takenOut) this.table.moveOff(id, 'taken out of rotation');
  }

  #notifyPickerChange(): void {
    this.#pickerChanges.emit();
  }
}

/** The policy's latencies over the endpoints of the current picker. */
function latencyEstimates(policy: Policy, state: () => PickerState): LatencyEstimates {
  const of = (endpointId: string) => policy.latencyMs?.(endpointId);
  return {
    of,
    bestExcept(avoid) {
      const current = state();
      if (current.type !== 'ready') return undefined;
      let best: number | undefined;
      for (const endpoint of current.picker.endpoints) {
        if (avoid.has(endpoint.id)) continue;
        const ms = of(endpoint.id);
        if (ms !== undefined && (best === undefined || ms < best)) best = ms;
      }
      return best;
    },
  };
}
