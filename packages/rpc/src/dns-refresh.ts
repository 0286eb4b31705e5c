import type { DnsSource } from '@ballast/config';
import type { OutcomeListener } from '@ballast/core';
import type { Detector } from '@ballast/detector';

/**
 * Asks DNS again when an endpoint looks gone, as a pod that went away takes its address with it:
 * when the detector takes an endpoint out (health checks fail on a pod that moved), and when a
 * call fails on one (the returned listener). The source rate-limits how often, so a replacement is
 * found before the next interval without flooding the resolver.
 */
export function dnsRefresh(source: DnsSource, detector: Detector | undefined): OutcomeListener {
  detector?.onEndpointStateChange((change) => {
    if (change.current.type !== 'up') source.refresh(`endpoint ${change.endpoint.id} is ${change.current.type}`);
  });
  return (outcome) => {
    if (outcome.signal === 'endpoint-failing') source.refresh(`a call failed on ${outcome.endpointId}`);
  };
}
