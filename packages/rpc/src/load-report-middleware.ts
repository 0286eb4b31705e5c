import { MetadataKeys } from '@ballast/core';
import { isUnaryWork } from '@ballast/recovery';
import type { ServerMiddleware } from 'nice-grpc-common';
import type { LoadMonitor } from './load-monitor.js';

/**
 * Counts unary calls for the monitor (streams and health checks are not load; see isUnaryWork)
 * and sends its latest ORCA report in every response's trailers, once it has one.
 */
export function loadReportMiddleware(monitor: LoadMonitor): ServerMiddleware {
  return async function* loadReport(call, context) {
    const counted = isUnaryWork(call.method);
    if (counted) monitor.started();
    let ok = false;
    try {
      const result = yield* call.next(call.request, context);
      ok = true;
      return result;
    } finally {
      if (counted) monitor.finished(ok);
      const encoded = monitor.encoded;
      if (encoded.length > 0) context.trailer.set(MetadataKeys.load, encoded);
    }
  };
}
