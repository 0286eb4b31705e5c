import { parseArgs } from 'node:util';
import { describeError } from '../errors.js';
import { startSupervisor } from './supervisor.js';

const USAGE = `usage: ballast-supervise [--name NAME] [--max-restarts N] [--window-ms MS] [--base-delay-ms MS]
                         [--max-delay-ms MS] [--grace-ms MS] [--restart-always] -- COMMAND [ARGS...]`;

/** The `ballast-supervise` command: supervises one command; resolves with the exit code to use. */
export async function superviseCli(argv: readonly string[]): Promise<number> {
  const split = argv.indexOf('--');
  const own = split === -1 ? [...argv] : argv.slice(0, split);
  const command = split === -1 ? [] : argv.slice(split + 1);
  let values;
  try {
    ({ values } = parseArgs({
      args: own,
      options: {
        name: { type: 'string' },
        'max-restarts': { type: 'string' },
        'window-ms': { type: 'string' },
        'base-delay-ms': { type: 'string' },
        'max-delay-ms': { type: 'string' },
        'grace-ms': { type: 'string' },
        'restart-always': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    process.stderr.write(`${describeError(error)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help || command.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));
  let supervisor;
  try {
    supervisor = startSupervisor({
      children: [{ name: values.name ?? command[0]!, command: command[0]!, args: command.slice(1) }],
      graceMs: number(values['grace-ms']),
      restart: {
        maxRestarts: number(values['max-restarts']),
        windowMs: number(values['window-ms']),
        baseDelayMs: number(values['base-delay-ms']),
        maxDelayMs: number(values['max-delay-ms']),
        restartOnCleanExit: values['restart-always'] ?? false,
      },
    });
  } catch (error) {
    process.stderr.write(`ballast-supervise: ${describeError(error)}\n`);
    return 2;
  }
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`ballast-supervise: ${signal}: draining the child\n`);
    void supervisor.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await supervisor.finished;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  const states = Object.values(supervisor.states());
  const gaveUp = states.find((state) => state.type === 'gave-up');
  if (gaveUp?.type === 'gave-up') {
    process.stderr.write(`ballast-supervise: gave up: ${gaveUp.reason}\n`);
    return 1;
  }
  const last = states[0];
  return last?.type === 'exited' && last.exit.code !== null ? last.exit.code : 0;
}
