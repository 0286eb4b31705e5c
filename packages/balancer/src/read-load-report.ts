import type * as grpc from '@grpc/grpc-js';
import { MetadataKeys, type LoadReport } from '@ballast/core';
import { OrcaLoadReport } from '@ballast/stubs/xds/data/orca/v3/orca_load_report';

/**
 * The ORCA load report in a call's trailers (`endpoint-load-metrics-bin`, a binary
 * `xds.data.orca.v3.OrcaLoadReport`), as any ORCA-speaking gRPC server sends it: a Ballast
 * serve(), grpc-js with `grpc.server_call_metric_recording`, grpc-go, Envoy. A report that does
 * not decode is ignored: a bad trailer never fails the call.
 */
export function readLoadReport(trailers: grpc.Metadata): LoadReport | undefined {
  const value = trailers.get(MetadataKeys.load)[0];
  if (value === undefined || typeof value === 'string') return undefined;
  try {
    return OrcaLoadReport.decode(value);
  } catch {
    return undefined;
  }
}
