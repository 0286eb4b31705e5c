import { observeEnd, type CallEnd } from '@ballast/core';
import { isAbortError } from 'abort-controller-x';
import {
  ClientError,
  Status,
  type CallOptions,
  type ClientMiddleware,
  type ClientMiddlewareCall,
  type MethodDescriptor,
} from 'nice-grpc-common';
import type { Metric, Registry } from 'prom-client';
import { metricsRegistry } from './detector-metrics.js';

// nice-grpc-prometheus's names, labels and buckets (1 ms × 4ⁿ up to ≈ 1 h), so its dashboards and
// alerts read these series unchanged.
const BUCKETS = Array.from({ length: 12 }, (_, i) => 0.001 * 4 ** i);

/** One line of the exposition; `metricName` names a histogram's _bucket, _sum and _count lines. */
interface Sample {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
  readonly metricName?: string;
}

type MethodLabels = {
  grpc_type: 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';
  grpc_service: string;
  grpc_method: string;
  grpc_path: string;
};

/** What one method has seen: plain numbers, turned into samples only when scraped. */
class MethodCounts {
  started = 0;
  sent = 0;
  received = 0;
  readonly handled = new Float64Array(17);
  readonly sums = new Float64Array(17);
  /** Per status code, cumulative-to-be bucket counts (the +Inf bucket is `handled`). */
  readonly buckets = new Map<number, Float64Array>();

  constructor(readonly labels: MethodLabels) {}

  finish(status: number, seconds: number): void {
    const code = status >= 0 && status <= 16 ? status : Status.UNKNOWN;
    this.handled[code] = this.handled[code]! + 1;
    this.sums[code] = this.sums[code]! + seconds;
    let counts = this.buckets.get(code);
    if (!counts) this.buckets.set(code, (counts = new Float64Array(BUCKETS.length)));
    // The first bucket that holds the value; cumulated at scrape time.
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]!) {
        counts[i]!++;
        break;
      }
    }
  }
}

/**
 * Client RPC metrics under nice-grpc-prometheus's names (`grpc_client_started_total`,
 * `grpc_client_handled_total`, `grpc_client_handling_seconds`, `grpc_client_msg_sent_total`,
 * `grpc_client_msg_received_total`) and labels. nice-grpc-prometheus's client middleware validates
 * and hashes a label object three times per call, a cost every call of every client pays; these
 * count into per-method numbers instead and build the samples when Prometheus scrapes.
 */
export class RpcClientMetrics {
  readonly #methods = new Map<string, MethodCounts>();
  /** The middleware: put it outermost, so it times the call as the application sees it. */
  readonly middleware: ClientMiddleware;

  /** Registers the five families on `registry` (default: Ballast's `metricsRegistry`). */
  constructor(registry: Registry = metricsRegistry) {
    const family = (name: string, help: string, type: 'counter' | 'histogram', values: () => Sample[]) =>
      registry.registerMetric(collector(name, help, type, values));
    const each = <T>(f: (m: MethodCounts) => T[]) => [...this.#methods.values()].flatMap(f);
    family('grpc_client_started_total', 'Total number of RPCs started on the client.', 'counter', () =>
      each((m) => [{ labels: m.labels, value: m.started }]),
    );
    family(
      'grpc_client_handled_total',
      'Total number of RPCs completed on the client, regardless of success or failure.',
      'counter',
      () => each((m) => codesOf(m).map((code) => ({ labels: withCode(m, code), value: m.handled[code]! }))),
    );
    family(
      'grpc_client_msg_received_total',
      'Total number of RPC stream messages received by the client.',
      'counter',
      () => each((m) => (streams(m, 'response') ? [{ labels: m.labels, value: m.received }] : [])),
    );
    family('grpc_client_msg_sent_total', 'Total number of gRPC stream messages sent by the client.', 'counter', () =>
      each((m) => (streams(m, 'request') ? [{ labels: m.labels, value: m.sent }] : [])),
    );
    family(
      'grpc_client_handling_seconds',
      'Histogram of response latency (seconds) of the gRPC until it is finished by the application.',
      'histogram',
      () => each(histogramSamples),
    );
    const countsFor = (method: MethodDescriptor) => this.#counts(method);
    this.middleware = (call, options) => {
      const counts = countsFor(call.method);
      counts.started++;
      const started = performance.now();
      if (call.requestStream || call.responseStream) return streamingCall(call, options, counts, started);
      return observeEnd(call.next(call.request, options), (end) =>
        counts.finish(endCode(end), (performance.now() - started) / 1000),
      );
    };
  }

  #counts(method: MethodDescriptor): MethodCounts {
    let counts = this.#methods.get(method.path);
    if (!counts) {
      const [, service = '', name = ''] = method.path.split('/');
      counts = new MethodCounts({
        grpc_type: method.requestStream
          ? method.responseStream
            ? 'bidi_stream'
            : 'client_stream'
          : method.responseStream
            ? 'server_stream'
            : 'unary',
        grpc_service: service,
        grpc_method: name,
        grpc_path: method.path,
      });
      this.#methods.set(method.path, counts);
    }
    return counts;
  }
}

let shared: RpcClientMetrics | undefined;

/** The process-wide recorder on `metricsRegistry`, which every client made by `connect()` shares. */
export function rpcClientMetrics(): RpcClientMetrics {
  return (shared ??= new RpcClientMetrics());
}

function streams(m: MethodCounts, side: 'request' | 'response'): boolean {
  const type = m.labels.grpc_type;
  return type === 'bidi_stream' || type === (side === 'request' ? 'client_stream' : 'server_stream');
}

function codesOf(m: MethodCounts): number[] {
  const codes: number[] = [];
  m.handled.forEach((n, code) => n > 0 && codes.push(code));
  return codes;
}

function withCode(m: MethodCounts, code: number): Record<string, string> {
  return { ...m.labels, grpc_code: Status[code] ?? String(code) };
}

function histogramSamples(m: MethodCounts): Sample[] {
  const samples: Sample[] = [];
  for (const code of codesOf(m)) {
    const labels = withCode(m, code);
    const counts = m.buckets.get(code)!;
    let cumulative = 0;
    BUCKETS.forEach((le, i) => {
      cumulative += counts[i]!;
      samples.push({ metricName: 'grpc_client_handling_seconds_bucket', labels: { le, ...labels }, value: cumulative });
    });
    const count = m.handled[code]!;
    samples.push(
      { metricName: 'grpc_client_handling_seconds_bucket', labels: { le: '+Inf', ...labels }, value: count },
      { metricName: 'grpc_client_handling_seconds_sum', labels, value: m.sums[code]! },
      { metricName: 'grpc_client_handling_seconds_count', labels, value: count },
    );
  }
  return samples;
}

/** A prom-client metric whose samples come from `values()` when the registry is read. */
function collector(name: string, help: string, type: 'counter' | 'histogram', values: () => Sample[]): Metric {
  // prom-client reads `get()` when it renders the registry; nothing else of a Metric is needed.
  const get = () => Promise.resolve({ name, help, type, aggregator: 'sum', values: values() });
  return { name, help, type, aggregator: 'sum', get, reset() {} } as unknown as Metric;
}

/** The code a call ended with, as nice-grpc-prometheus reports it. */
function endCode(end: CallEnd): number {
  if (end.type === 'completed') return Status.OK;
  // A consumer that stops reading early counts as cancelled.
  if (end.type === 'stopped') return Status.CANCELLED;
  const error = end.error;
  return error instanceof ClientError ? error.code : isAbortError(error) ? Status.CANCELLED : Status.UNKNOWN;
}

async function* streamingCall<Request, Response>(
  call: ClientMiddlewareCall<Request, Response>,
  options: CallOptions,
  counts: MethodCounts,
  started: number,
): AsyncGenerator<Response, Response | void, undefined> {
  let code: number = Status.CANCELLED; // stays so when a consumer stops reading a stream early
  try {
    const request = call.requestStream ? tally(call.request, () => counts.sent++) : call.request;
    if (!call.responseStream) {
      const response = yield* call.next(request as never, options);
      code = Status.OK;
      return response;
    }
    yield* tally(call.next(request as never, options), () => counts.received++);
    code = Status.OK;
    return;
  } catch (error) {
    code = endCode({ type: 'failed', error });
    throw error;
  } finally {
    counts.finish(code, (performance.now() - started) / 1000);
  }
}

async function* tally<T>(source: AsyncIterable<T>, count: () => void): AsyncGenerator<T, void, undefined> {
  for await (const item of source) {
    count();
    yield item;
  }
}
