export type { BenchContext, BenchRecord, Scenario, ScenarioResult } from '@ballast/bench-kit';
export { median, quantile, spread, formatTable } from '@ballast/bench-kit';
export { loadScenarios, repoRoot } from './registry.js';
