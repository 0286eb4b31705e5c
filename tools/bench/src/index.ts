export type { BenchContext, BenchRecord, Scenario, ScenarioResult } from './scenario.js';
