export type { BenchContext, BenchRecord, Scenario, ScenarioResult } from './scenario.js';
export { median, quantile, spread } from './stats.js';
export { formatTable } from './table.js';
export { closedLoop, openLoop, timeline } from './load.js';
export type { CallSample, LoadOptions, OpenLoopOptions, OpenLoopRun } from './load.js';
