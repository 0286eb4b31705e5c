import { VirtualScheduler } from '@ballast/core';
import { describe, expect, it, vi } from 'vitest';
import { InvalidOptionError, StoreUnavailableError } from '../src/errors.js';
import { EtcdStore } from '../src/etcd-store.js';
import { captureLogger } from './capture-logger.js';

describe('EtcdStore.connect with bad input', () => {
  it('retries an unreachable cluster with backoff, logs the endpoints, then says what to check', async () => {
    const { logger, lines } = captureLogger();
    const endpoints = ['http://127.0.0.1:1', 'http://127.0.0.1:2'];
    const error = await EtcdStore.connect({ endpoints, startupTimeoutMs: 3000 }, logger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(
      /127\.0\.0\.1:1, http:\/\/127\.0\.0\.1:2 within \d+ ms: check that etcd runs/,
    );
    const retries = lines.filter((l) => l.msg === 'etcd unreachable; retrying');
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries[0]!.endpoints).toEqual(endpoints);
    const delays = retries.map((l) => l.retryInMs as number);
    expect(delays[1]).toBeGreaterThan(delays[0]!);
  });

  it('waits its backoff on the injected scheduler and gives up on its time', async () => {
    const { logger, lines } = captureLogger();
    const scheduler = new VirtualScheduler();
    const failed = () => lines.filter((l) => l.msg === 'etcd unreachable; retrying').length;
    let outcome: unknown;
    const connecting = EtcdStore.connect(
      { endpoints: ['http://127.0.0.1:1'], startupTimeoutMs: 1_000, scheduler },
      logger,
    ).catch((error: unknown) => (outcome = error));
    // 100 + 200 + 400 ms of backoff fit in the 1 s budget; the next wait (800 ms) would not.
    for (const [i, delay] of [100, 200, 400].entries()) {
      // The attempt (real network) failed and its backoff is the one timer on the scheduler.
      await vi.waitFor(() => expect([failed(), scheduler.pending]).toEqual([i + 1, 1]), { timeout: 10_000 });
      await scheduler.advanceAsync(delay - 1);
      expect(scheduler.pending).toBe(1);
      await scheduler.advanceAsync(1);
    }
    await connecting;
    expect(outcome).toBeInstanceOf(StoreUnavailableError);
    expect((outcome as StoreUnavailableError).waitedMs).toBe(700);
    expect(scheduler.pending).toBe(0);
  });

  it('rejects bad options naming the field', async () => {
    await expect(EtcdStore.connect({ endpoints: [] })).rejects.toThrow(InvalidOptionError);
    await expect(EtcdStore.connect({ endpoints: ['127.0.0.1:2379'] })).rejects.toThrow(
      /EtcdStore\.endpoints\.0 is "127\.0\.0\.1:2379" \(expected http\(s\):\/\/host:port\): allowed values are a string/,
    );
    await expect(EtcdStore.connect({ endpoints: ['http://127.0.0.1:2379'], callTimeoutMs: 5 })).rejects.toThrow(
      /callTimeoutMs/,
    );
    await expect(
      EtcdStore.connect({ endpoints: ['http://127.0.0.1:2379'], scheduler: { now: () => 0 } as never }),
    ).rejects.toThrow(/EtcdStore\.scheduler .*expected a Scheduler \{ now, setTimeout, clearTimeout, sleep \}/);
    await expect(EtcdStore.connect({ endpoints: ['http://127.0.0.1:2379'], callTimeout: 5 } as never)).rejects.toThrow(
      /EtcdStore\.callTimeout is not an option \(unknown key "callTimeout"\): allowed values are the keys endpoints, auth, tls, callTimeoutMs,/,
    );
  });
});
