import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The default logger of a Ballast component. Level from BALLAST_LOG_LEVEL (default "info";
 * "warn" under test runners, where every transition would otherwise flood the output).
 */
export function createLogger(name: string): Logger {
  const fallback = process.env.VITEST ? 'warn' : 'info';
  return pino({ name, level: process.env.BALLAST_LOG_LEVEL ?? fallback });
}
