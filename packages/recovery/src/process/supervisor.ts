import { spawn, type ChildProcess } from 'node:child_process';
import { Emitter, parseOptions, systemScheduler, type Disposer, type Scheduler, type TimerHandle } from '@ballast/core';
import { pino } from 'pino';
import { z } from 'zod';
import { SupervisorError, invalidRecoveryOption } from '../errors.js';
import { loggerSchema } from '../option-schemas.js';
import { RestartPolicy, restartPolicyOptionsSchema } from './restart-policy.js';

export const childSpecSchema = z.strictObject({
  name: z.string().min(1),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().optional(),
});
export type ChildSpec = z.input<typeof childSpecSchema>;

export const supervisorOptionsSchema = z.strictObject({
  children: z.array(childSpecSchema).min(1),
  restart: restartPolicyOptionsSchema.optional(),
  /** After SIGTERM, how long a child may drain before SIGKILL. */
  graceMs: z.number().int().min(0).default(10_000),
  /** stdio of the children: inherit (CLI) or ignore (tests). */
  stdio: z.enum(['inherit', 'ignore', 'pipe']).default('inherit'),
  logger: loggerSchema.optional(),
  /** Time, the restart backoff and the SIGKILL grace timer; a VirtualScheduler in tests. */
  scheduler: z
    .custom<Scheduler>((v) => typeof v === 'object' && v !== null && 'setTimeout' in v)
    .describe('a Scheduler')
    .optional(),
});
export type SupervisorOptions = z.input<typeof supervisorOptionsSchema>;

export type ExitReason = { readonly code: number | null; readonly signal: NodeJS.Signals | null };

export type ChildState =
  | { readonly type: 'starting'; readonly restarts: number }
  | { readonly type: 'running'; readonly pid: number; readonly restarts: number }
  | { readonly type: 'backoff'; readonly exit: ExitReason; readonly delayMs: number; readonly restarts: number }
  | { readonly type: 'stopping'; readonly pid: number; readonly restarts: number }
  | { readonly type: 'exited'; readonly exit: ExitReason; readonly restarts: number }
  | { readonly type: 'gave-up'; readonly exit: ExitReason; readonly reason: string; readonly restarts: number };

export interface ChildStateEvent {
  readonly child: string;
  readonly state: ChildState;
}

export interface Supervisor {
  /** Current state of every child. */
  states(): Readonly<Record<string, ChildState>>;
  onState(listener: (event: ChildStateEvent) => void): Disposer;
  /** Resolves when every child is exited or given up (after stop(), or on its own). */
  readonly finished: Promise<void>;
  /** SIGTERM to every child, SIGKILL after graceMs; no more restarts. */
  stop(): Promise<void>;
}

/**
 * Runs processes and keeps them running: a crashed child is restarted with exponential backoff,
 * a crash loop is given up on (and said so), and stop() drains children with a bounded grace.
 */
export function startSupervisor(options: SupervisorOptions): Supervisor {
  const o = parseOptions(supervisorOptionsSchema, options, 'supervisor', { error: invalidRecoveryOption });
  const logger =
    o.logger ?? pino({ name: 'ballast.recovery.supervisor', level: process.env.BALLAST_LOG_LEVEL ?? 'info' });
  const scheduler = o.scheduler ?? systemScheduler;
  const listeners = new Emitter<ChildStateEvent>('child state', logger);
  const states: Record<string, ChildState> = {};
  let stopping = false;
  let resolveFinished: () => void = () => {};
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
  const processes = new Map<string, ChildProcess>();
  const timers = new Map<string, TimerHandle>();

  const set = (name: string, state: ChildState) => {
    states[name] = state;
    const level = state.type === 'gave-up' ? 'error' : state.type === 'backoff' ? 'warn' : 'info';
    logger[level]({ child: name, ...state }, `child ${name}: ${state.type}`);
    listeners.emit({ child: name, state });
    const settled = Object.values(states).every((s) => s.type === 'exited' || s.type === 'gave-up');
    if (settled && Object.keys(states).length === o.children.length) resolveFinished();
  };

  const run = (spec: z.output<typeof childSpecSchema>, policy: RestartPolicy, restarts: number) => {
    set(spec.name, { type: 'starting', restarts });
    const started = scheduler.now();
    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args, {
        stdio: o.stdio,
        cwd: spec.cwd,
        env: spec.env ? { ...process.env, ...spec.env } : process.env,
      });
    } catch (error) {
      const reason = new SupervisorError('SPAWN_FAILED', `cannot start ${spec.command}: ${String(error)}`).message;
      set(spec.name, { type: 'gave-up', exit: { code: null, signal: null }, reason, restarts });
      return;
    }
    processes.set(spec.name, child);
    child.once('spawn', () => {
      if (stopping) child.kill('SIGTERM');
      else set(spec.name, { type: 'running', pid: child.pid!, restarts });
    });
    child.once('error', (error) => {
      // Spawn failures (ENOENT…) arrive here and are followed by no 'exit' event.
      if (child.pid !== undefined) return;
      processes.delete(spec.name);
      const reason = new SupervisorError('SPAWN_FAILED', `cannot start ${spec.command}: ${error.message}`).message;
      set(spec.name, { type: 'gave-up', exit: { code: null, signal: null }, reason, restarts });
    });
    child.once('exit', (code, signal) => {
      processes.delete(spec.name);
      const exit: ExitReason = { code, signal };
      if (stopping) return set(spec.name, { type: 'exited', exit, restarts });
      const decision = policy.onExit(scheduler.now(), scheduler.now() - started, code === 0);
      if (decision.action === 'done') return set(spec.name, { type: 'exited', exit, restarts });
      if (decision.action === 'give-up') {
        const reason = new SupervisorError(
          'CRASH_LOOP',
          `${spec.name}: ${decision.reason}; not restarting — fix the crash`,
        ).message;
        return set(spec.name, { type: 'gave-up', exit, reason, restarts });
      }
      set(spec.name, { type: 'backoff', exit, delayMs: decision.delayMs, restarts });
      const timer = scheduler.setTimeout(() => {
        timers.delete(spec.name);
        if (!stopping) run(spec, policy, restarts + 1);
      }, decision.delayMs);
      timers.set(spec.name, timer);
    });
  };

  for (const spec of o.children) run(spec, new RestartPolicy(o.restart), 0);

  return {
    states: () => ({ ...states }),
    onState(listener) {
      return listeners.on(listener);
    },
    finished,
    async stop() {
      stopping = true;
      for (const [name, timer] of timers) {
        scheduler.clearTimeout(timer);
        timers.delete(name);
        const state = states[name];
        if (state?.type === 'backoff') set(name, { type: 'exited', exit: state.exit, restarts: state.restarts });
      }
      await Promise.all(
        [...processes.entries()].map(async ([name, child]) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          set(name, { type: 'stopping', pid: child.pid!, restarts: states[name]?.restarts ?? 0 });
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          child.kill('SIGTERM');
          const killer = scheduler.setTimeout(() => {
            logger.warn({ child: name, graceMs: o.graceMs }, `child ${name}: grace period over, SIGKILL`);
            child.kill('SIGKILL');
          }, o.graceMs);
          await exited;
          scheduler.clearTimeout(killer);
        }),
      );
      await finished;
    },
  };
}
