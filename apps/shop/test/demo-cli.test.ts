import { describe, expect, it } from 'vitest';
import { DEMO_USAGE, parseDemoArgs, runDemo } from '../src/demo.js';
import { ShopUsageError } from '../src/errors.js';

const io = () => {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      out: (l: string) => out.push(l),
      err: (l: string) => err.push(l),
      env: {},
      stopRequested: new Promise<void>(() => {}),
    },
  };
};

describe('demo launcher arguments', () => {
  it('parses the options with their defaults', () => {
    expect(parseDemoArgs([])).toEqual({ chaos: false, embedded: false, port: 8080, orders: 300, help: false });
    expect(parseDemoArgs(['--chaos', '--port', '0', '--orders', '50'])).toMatchObject({
      chaos: true,
      port: 0,
      orders: 50,
    });
  });

  it.each([[['--bogus']], [['--port', 'eighty']], [['--port', '70000']], [['--orders', '0']], [['stray']]])(
    'rejects %j with usage and exit code 2',
    async (argv) => {
      expect(() => parseDemoArgs(argv)).toThrow(ShopUsageError);
      const t = io();
      expect(await runDemo(argv, t.io)).toBe(2);
      expect(t.err.join('\n')).toContain(DEMO_USAGE);
      expect(t.out).toEqual([]);
    },
  );

  it('prints usage for --help and exits 0', async () => {
    const t = io();
    expect(await runDemo(['--help'], t.io)).toBe(0);
    expect(t.out).toEqual([DEMO_USAGE]);
  });
});
