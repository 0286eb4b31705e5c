import type { Connection } from '@ballast/rpc';

type BalancedChannel = Connection['channels'][number];

/** When the balancer last sent an attempt to one endpoint, sampled from its pick counter. */
export interface PickWatch {
  /** performance.now() of the last sample that saw the endpoint's picks grow; undefined if never. */
  readonly lastPickAt: number | undefined;
  stop(): void;
}

/**
 * Samples `channel.stats()` every `intervalMs` and remembers when the picks of the endpoint at
 * `address` last grew: after a fault, that is when the balancer stopped choosing it.
 */
export function watchPicks(channel: BalancedChannel, address: string, intervalMs = 5): PickWatch {
  const picksOf = () => channel.stats().find((s) => s.address === address)?.picks ?? 0;
  let last = picksOf();
  let lastPickAt: number | undefined;
  const timer = setInterval(() => {
    const now = picksOf();
    if (now > last) lastPickAt = performance.now();
    last = now;
  }, intervalMs);
  return {
    get lastPickAt() {
      return lastPickAt;
    },
    stop: () => clearInterval(timer),
  };
}
