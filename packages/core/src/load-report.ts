import type { LoadReport } from './outcome.js';

const FIELDS = { cpu: 'cpu', eventLoopDelayMs: 'eld', inFlight: 'inflight', qps: 'qps' } as const;

/** "cpu=0.42,eld=1.3,inflight=7,qps=812" — short, and readable in a grpcurl trailer dump. */
export function formatLoadReport(report: LoadReport): string {
  const parts: string[] = [];
  for (const [field, key] of Object.entries(FIELDS) as [keyof LoadReport, string][]) {
    const value = report[field];
    if (value !== undefined && Number.isFinite(value)) parts.push(`${key}=${round(value)}`);
  }
  return parts.join(',');
}

/** Parses formatLoadReport's text; unknown or malformed fields are ignored, never thrown. */
export function parseLoadReport(text: string): LoadReport | undefined {
  const report: { -readonly [K in keyof LoadReport]: number } = {};
  for (const part of text.split(',')) {
    const [key, raw] = part.split('=');
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) continue;
    const field = (Object.keys(FIELDS) as (keyof LoadReport)[]).find((f) => FIELDS[f] === key?.trim());
    if (field) report[field] = value;
  }
  return Object.keys(report).length > 0 ? report : undefined;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
