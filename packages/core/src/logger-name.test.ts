import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerName, partLogger } from './logger-name.js';

describe('logger names', () => {
  it('are ballast.<package>.<part>, kebab-case', () => {
    expect(loggerName('recovery', 'retry')).toBe('ballast.recovery.retry');
    expect(loggerName('balancer', 'endpoint-table')).toBe('ballast.balancer.endpoint-table');
    expect(() => loggerName('@ballast/rpc', 'serve')).toThrow(/package "@ballast\/rpc" must be lower-case kebab-case/);
  });

  it("make a child of the caller's logger, else a root logger of that name", () => {
    const lines: Record<string, unknown>[] = [];
    const parent = pino({ name: 'app', level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    partLogger('config', 'lease', parent).info('renewed');
    expect(lines[0]).toMatchObject({ name: 'app', component: 'ballast.config.lease', msg: 'renewed' });
    expect(partLogger('config', 'lease').bindings()).toMatchObject({ name: 'ballast.config.lease' });
  });

  it('share one root per part when no parent is given, not one per instance', () => {
    expect(partLogger('recovery', 'breaker')).toBe(partLogger('recovery', 'breaker'));
    expect(partLogger('recovery', 'breaker')).not.toBe(partLogger('recovery', 'retry'));
  });
});
