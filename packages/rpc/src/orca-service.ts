import {
  OpenRcaServiceDefinition,
  type OpenRcaServiceImplementation,
  type OrcaLoadReportRequest,
} from '@ballast/stubs/xds/service/orca/v3/orca';
import { delay, isAbortError } from 'abort-controller-x';
import type { LoadMonitor } from './load-monitor.js';

/** The interval when the client asks for none, as grpc-go and grpc-js servers default it. */
const DEFAULT_INTERVAL_MS = 30_000;

/**
 * The out-of-band ORCA service (`xds.service.orca.v3.OpenRcaService/StreamCoreMetrics`): a
 * client that balances by load without sending calls (a weighted_round_robin client with
 * `enable_oob_load_report`, or one between bursts) subscribes and gets the monitor's report at
 * once and then every `report_interval`, never more often than the monitor samples.
 */
export function orcaService(monitor: LoadMonitor) {
  const implementation: OpenRcaServiceImplementation = {
    async *streamCoreMetrics(request, context) {
      const intervalMs = Math.max(monitor.intervalMs, requestedMs(request) ?? DEFAULT_INTERVAL_MS);
      try {
        for (;;) {
          yield monitor.report;
          await delay(context.signal, intervalMs);
        }
      } catch (error) {
        // The subscriber went away, or the server is closing: the stream just ends.
        if (!isAbortError(error)) throw error;
      }
    },
  };
  return { definition: OpenRcaServiceDefinition, implementation };
}

function requestedMs(request: OrcaLoadReportRequest): number | undefined {
  const interval = request.reportInterval;
  if (interval === undefined) return undefined;
  const ms = interval.seconds * 1000 + interval.nanos / 1e6;
  return ms > 0 ? ms : undefined;
}
