import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOptions } from '@ballast/core';
import { z } from 'zod';
import { DeployLocalError } from './podman.js';

const deployLocalOptionsSchema = z.strictObject({
  /** First loopback port of the pods; below the ephemeral range, so tests on port 0 never collide. */
  portBase: z.number().int().min(1024).max(32_000).default(23_000),
  /** Put before every pod name, so a second deployment (a test's) leaves the first alone. */
  namePrefix: z
    .string()
    .regex(/^([a-z][a-z0-9-]*-)?$/, 'lowercase letters, digits and dashes, ending in a dash')
    .default(''),
  /** Where the played YAML is kept for `--down`. */
  stateDir: z.string().min(1).default(join(tmpdir(), 'ballast-deploy-local')),
  /** Bound on waiting for every pod to be ready. */
  readyTimeoutMs: z.number().int().positive().default(180_000),
  log: z
    .custom<(line: string) => void>((v) => typeof v === 'function')
    .describe('a function (line: string) => void')
    .default(() => () => {}),
});

export type DeployLocalOptions = z.input<typeof deployLocalOptionsSchema>;

/**
 * Parses deployLocal()'s and downLocal()'s options into a frozen value with defaults; a bad or
 * unknown one throws DeployLocalError INVALID_OPTIONS naming it and what it accepts.
 */
export function parseDeployLocalOptions(
  input: DeployLocalOptions,
): Readonly<z.output<typeof deployLocalOptionsSchema>> {
  return parseOptions(deployLocalOptionsSchema, input, '', {
    error: (option, problem, allowed) =>
      new DeployLocalError(
        'INVALID_OPTIONS',
        `deploy:local option "${option}" ${problem}: allowed values are ${allowed}`,
      ),
  });
}
