import { ChannelCredentials, Channel } from '@grpc/grpc-js';

/** A grpc-js round-robin channel over several loopback servers: every attempt is a new pick. */
export function roundRobinChannel(addresses: readonly string[]): Channel {
  return new Channel(`ipv4:${addresses.join(',')}`, ChannelCredentials.createInsecure(), {
    'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
  });
}

export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Runs `count` tasks with at most `concurrency` in flight. */
export async function runConcurrently(count: number, concurrency: number, task: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}
