import { describe, expect, it } from 'vitest';
import { loadScenarios } from '../src/registry.js';

// The quick runs keep the scenarios from rotting: each must run to the end, and crash and drain
// must report 0 failed calls, as the design says. Figures are not asserted here (BENCH.md).
describe('quick scenarios through the registry', () => {
  for (const name of ['crash', 'drain']) {
    it(`${name} runs quick with 0 failed calls`, { timeout: 60_000 }, async () => {
      const scenario = (await loadScenarios()).get(name);
      expect(scenario, `scenario ${name} is registered`).toBeDefined();
      const controller = new AbortController();
      const result = await scenario!.run({ quick: true, progress: () => {}, signal: controller.signal });
      expect(result.results.length).toBeGreaterThan(0);
      for (const record of result.results) {
        expect(record.calls as number).toBeGreaterThan(0);
        expect(record.failed_calls, JSON.stringify(record)).toBe(0);
      }
    });
  }
});
