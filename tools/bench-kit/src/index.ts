export type { BenchContext, BenchRecord, Scenario, ScenarioResult } from './scenario.js';
export { median, quantile, spread } from './stats.js';
export { formatTable } from './table.js';
export { closedLoop, timeline } from './load.js';
export type { CallSample, LoadOptions } from './load.js';
