export type { BenchContext, BenchRecord, Scenario, ScenarioResult } from './scenario.js';
export { median, quantile, spread } from './stats.js';
export { formatTable } from './table.js';
