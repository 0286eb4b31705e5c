import type { EndpointTable } from '@ballast/balancer';
import { DnsSource } from '@ballast/config';
import { allOfHealth, type EndpointSource, type HealthView, type Logger, type OutcomeListener } from '@ballast/core';
import { createDetector, type Detector } from '@ballast/detector';
import { createEndpointBreakers, type EndpointBreakers } from '@ballast/recovery';
import type { ParsedConnectOptions } from './connect-options.js';
import { dnsRefresh } from './dns-refresh.js';
import type { Placement } from './placement-options.js';

/** Which of a client's endpoints take calls, and who hears each attempt's outcome. */
export interface ClientHealth {
  readonly detector: Detector | undefined;
  readonly endpointBreakers: EndpointBreakers | undefined;
  /** What the balanced channels let through: the breakers' view, then the detector's. */
  readonly view: HealthView;
  /** Every attempt's outcome goes to each of these. */
  readonly outcomes: readonly OutcomeListener[];
  close(): void;
}

export interface ClientHealthParts {
  readonly service: string;
  readonly table: EndpointTable;
  readonly source: EndpointSource;
  readonly placement: Placement;
  /** The parent of the detector's and breakers' loggers. */
  readonly parent: Logger | undefined;
}

type HealthOptions = Pick<
  ParsedConnectOptions,
  'healthCheck' | 'outlierDetection' | 'panicThreshold' | 'endpointBreakers' | 'clock' | 'random'
>;

/**
 * The failure detector over a client's endpoint table (health checks, outlier ejection, panic
 * threshold) and its per-endpoint breakers, wired to the table, the subset and DNS discovery.
 */
export function clientHealth(
  options: HealthOptions,
  { service, table, source, placement, parent }: ClientHealthParts,
): ClientHealth {
  const detector =
    options.healthCheck === false && options.outlierDetection === false
      ? undefined
      : createDetector({
          // The table's list: what the channels pick from, heard by the detector first so that a
          // change rebuilds each picker once.
          source: table,
          connection: (endpoint) => table.connection(endpoint),
          // Calls waiting on a silent replica make the detector ask it sooner (≈ 0.9 s to find it
          // frozen); an idle connection is asked every 2 s, and one that answers calls never.
          inFlight: (endpoint) => table.get(endpoint.id)?.inFlight ?? 0,
          target: service,
          heartbeat: options.healthCheck,
          outlier: options.outlierDetection ?? {},
          panicThreshold: options.panicThreshold,
          clock: options.clock,
          random: options.random,
          logger: parent,
        });
  // The subset replaces members the detector finds down or ejected, so its healthy part keeps its size.
  if (detector) {
    table.followHealth(
      (id) => (detector.state(id)?.type ?? 'up') === 'up',
      (listener) => detector.onChange(listener),
    );
  }
  let endpointBreakers: EndpointBreakers | undefined;
  try {
    endpointBreakers = options.endpointBreakers ? createEndpointBreakers(options.endpointBreakers) : undefined;
  } catch (error) {
    detector?.close();
    throw error;
  }
  // The detector goes last: its panic threshold then sees what the breakers left.
  const views: HealthView[] = [endpointBreakers, detector].filter((v): v is NonNullable<typeof v> => !!v);
  const outcomes: OutcomeListener[] = [
    detector?.record,
    endpointBreakers?.record,
    // A subset member that sheds load counts as overloaded for a while: the subset takes one more beside it.
    placement.subset && table.noteOutcome,
    source instanceof DnsSource && dnsRefresh(source, detector),
  ].filter((l): l is OutcomeListener => !!l);
  return {
    detector,
    endpointBreakers,
    view: allOfHealth(views),
    outcomes,
    close: () => {
      detector?.close();
      endpointBreakers?.close();
    },
  };
}
