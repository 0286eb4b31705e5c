import type { Disposer, Endpoint, LoadReport, Logger } from '@ballast/core';
import { OpenRcaServiceDefinition } from '@ballast/stubs/xds/service/orca/v3/orca';
import { delay, isAbortError } from 'abort-controller-x';
import { ClientError, createClient, Status } from 'nice-grpc';
import type { EndpointTable } from './endpoint-table.js';

/**
 * Out-of-band ORCA load reports: one `xds.service.orca.v3.OpenRcaService/StreamCoreMetrics`
 * stream per endpoint of the table, on the endpoint's own connection (no pick, no in-flight
 * count), every report handed to `onReport`. A stream that fails is opened again after
 * `periodMs`; an endpoint that does not serve ORCA (UNIMPLEMENTED) is not asked again while it
 * stays in the table. The returned disposer closes every stream.
 */
export function subscribeLoadReports(
  table: EndpointTable,
  periodMs: number,
  onReport: (endpointId: string, report: LoadReport) => void,
  logger: Logger,
): Disposer {
  const streams = new Map<string, AbortController>();
  const reportInterval = { seconds: Math.floor(periodMs / 1000), nanos: Math.round((periodMs % 1000) * 1e6) };

  const follow = async (endpoint: Endpoint, signal: AbortSignal) => {
    while (!signal.aborted) {
      const entry = table.get(endpoint.id);
      if (entry === undefined) return;
      try {
        const client = createClient(OpenRcaServiceDefinition, entry.channel());
        for await (const report of client.streamCoreMetrics({ reportInterval }, { signal })) {
          onReport(endpoint.id, report);
        }
      } catch (error) {
        if (isAbortError(error)) return;
        if (error instanceof ClientError && error.code === Status.UNIMPLEMENTED) {
          logger.info({ endpoint: endpoint.id }, 'endpoint serves no out-of-band load reports (OpenRcaService)');
          return;
        }
        logger.debug({ endpoint: endpoint.id, err: error }, 'out-of-band load report stream ended; reopening');
      }
      await delay(signal, periodMs).catch(() => undefined);
    }
  };

  const unsubscribe = table.subscribe((list) => {
    const ids = new Set(list.map((endpoint) => endpoint.id));
    for (const [id, controller] of streams) {
      if (ids.has(id)) continue;
      controller.abort();
      streams.delete(id);
    }
    for (const endpoint of list) {
      if (streams.has(endpoint.id)) continue;
      const controller = new AbortController();
      streams.set(endpoint.id, controller);
      void follow(endpoint, controller.signal);
    }
  });
  return () => {
    unsubscribe();
    for (const controller of streams.values()) controller.abort();
    streams.clear();
  };
}
