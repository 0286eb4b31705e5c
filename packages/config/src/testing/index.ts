// Helpers for testing and measuring stores: `@ballast/config/testing`.
export { auditWatch, casStream } from './cas-stream.js';
export type { CasStreamResult } from './cas-stream.js';
