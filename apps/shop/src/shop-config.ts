import { z } from 'zod';

/** Live config of the simulated payment processor (`ballast-config set shop/config/payments '{…}'`). */
export const paymentsConfigSchema = z.object({
  /** Processor latency added to every Charge, ms. */
  latencyMs: z.number().int().min(0).max(10_000).default(0),
  /** Share of Charges that fail with UNAVAILABLE (transient: nothing is recorded, a retry may succeed). */
  failureRate: z.number().min(0).max(1).default(0),
  /** Share of payments declined (recorded: the order fails and its stock is released). */
  declineRate: z.number().min(0).max(1).default(0),
});
export type PaymentsConfig = z.output<typeof paymentsConfigSchema>;
export const defaultPaymentsConfig: PaymentsConfig = Object.freeze({ latencyMs: 0, failureRate: 0, declineRate: 0 });

/** Faults injected into one replica by the dashboard's "slow" button or `ballast-config set`. */
export const replicaFaultsSchema = z.object({
  /** Delay before every shop call this replica serves, ms. */
  delayMs: z.number().int().min(0).max(30_000).default(0),
  /**
   * Readiness NOT_SERVING while true (the process stays up and live): clients' health checks take
   * the replica out of rotation, as they would for a replica whose dependency is down.
   */
  unready: z.boolean().default(false),
});
export type ReplicaFaults = z.output<typeof replicaFaultsSchema>;
export const noFaults: ReplicaFaults = Object.freeze({ delayMs: 0, unready: false });
