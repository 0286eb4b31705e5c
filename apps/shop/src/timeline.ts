import type { Transition } from './replica-reporter.js';
import type { ProcessState } from './shop-cluster.js';

export type TimelineKind = 'fault' | 'reaction' | 'recovery' | 'process' | 'etcd' | 'config';

/** One moment of the timeline; a reaction names the fault it answered and how long it took. */
export interface TimelineEvent {
  /** Wall-clock ms. */
  readonly at: number;
  readonly kind: TimelineKind;
  /** The replica (or etcd member, config key, service) it concerns. */
  readonly subject: string;
  readonly text: string;
  /** For a reaction: the fault before it on the same replica (or service), and the time since. */
  readonly cause?: { readonly at: number; readonly text: string };
  readonly reactionMs?: number;
}

export interface TimelineOptions {
  /** Events kept (oldest dropped first). */
  readonly keep?: number;
  /** A reaction later than this after a fault is not paired with it, ms. */
  readonly reactionWindowMs?: number;
}

/**
 * Faults, reactions and recoveries in time order. Faults come from the cluster runner and live
 * config; reactions from the callers' clients (detector verdicts, breakers), each paired with the
 * latest fault on its replica so the page can say how long Ballast took to react.
 */
export class Timeline {
  readonly #events: TimelineEvent[] = [];
  /** Per caller, the moment of the newest transition taken and the keys taken at that moment. */
  readonly #taken = new Map<string, { at: number; keys: Set<string> }>();
  readonly #lastState = new Map<string, ProcessState['kind']>();
  readonly #keep: number;
  readonly #window: number;

  constructor(options: TimelineOptions = {}) {
    this.#keep = options.keep ?? 300;
    this.#window = options.reactionWindowMs ?? 30_000;
  }

  events(): readonly TimelineEvent[] {
    return [...this.#events];
  }

  add(event: TimelineEvent): void {
    // Reports arrive after the fact: keep time order by their own moments.
    let i = this.#events.length;
    while (i > 0 && this.#events[i - 1]!.at > event.at) i--;
    this.#events.splice(i, 0, event);
    if (this.#events.length > this.#keep) this.#events.shift();
  }

  /** A replica's process state as its runner reports it: faults, and the process coming back. */
  processState(at: number, replica: string, state: ProcessState): void {
    const previous = this.#lastState.get(replica);
    if (previous === state.kind) return;
    this.#lastState.set(replica, state.kind);
    switch (state.kind) {
      case 'frozen':
        return this.add({ at, kind: 'fault', subject: replica, text: `${replica} frozen` });
      case 'draining':
        return this.add({ at, kind: 'fault', subject: replica, text: `${replica} draining` });
      case 'down':
        return previous === 'draining'
          ? this.add({ at, kind: 'process', subject: replica, text: `${replica} drained` })
          : this.add({ at, kind: 'fault', subject: replica, text: `${replica} down: ${state.reason}` });
      case 'restarting':
        return previous === undefined
          ? undefined
          : this.add({ at, kind: 'process', subject: replica, text: `${replica} restarting` });
      case 'running':
        if (previous === 'frozen')
          return this.add({ at, kind: 'recovery', subject: replica, text: `${replica} thawed` });
        if (previous === undefined) return;
        return this.add({ at, kind: 'recovery', subject: replica, text: `${replica} serving again` });
    }
  }

  /**
   * The callers' transitions. Each report repeats a caller's recent ones, oldest first: each is
   * taken once, by remembering per caller only the newest moment taken.
   */
  transitions(transitions: readonly Transition[]): void {
    for (const t of transitions) {
      const key = `${t.kind}|${t.subject}|${t.to}`;
      const taken = this.#taken.get(t.caller);
      if (taken && (t.at < taken.at || (t.at === taken.at && taken.keys.has(key)))) continue;
      if (taken?.at === t.at) taken.keys.add(key);
      else this.#taken.set(t.caller, { at: t.at, keys: new Set([key]) });
      this.#transition(t);
    }
  }

  #transition(t: Transition): void {
    const by = `${t.caller}'s client`;
    if (t.kind === 'endpoint') {
      if (t.to === 'up') {
        const text = `${t.subject} back in rotation for ${by}`;
        return this.add({ at: t.at, kind: 'recovery', subject: t.subject, text });
      }
      const verb = t.to === 'ejected' ? 'ejected' : 'marked down';
      const action = `${verb} by ${by} (${t.reason})`;
      return this.#react(t.at, t.subject, (r) => r === t.subject, `${t.subject} ${action}`, action);
    }
    const service = t.service;
    if (t.to === 'open') {
      const text = `${by} breaker ${t.subject} opened`;
      return this.#react(t.at, service, (r) => serviceOf(r) === service, text, text);
    }
    if (t.to === 'closed') {
      return this.add({ at: t.at, kind: 'recovery', subject: service, text: `${by} breaker ${t.subject} closed` });
    }
    this.add({ at: t.at, kind: 'process', subject: service, text: `${by} breaker ${t.subject} ${t.to}` });
  }

  #react(at: number, subject: string, concerns: (replica: string) => boolean, text: string, action: string): void {
    let cause: TimelineEvent | undefined;
    for (let i = this.#events.length - 1; i >= 0; i--) {
      const e = this.#events[i]!;
      if (e.at > at || e.kind !== 'fault' || !concerns(e.subject)) continue;
      if (at - e.at <= this.#window) cause = e;
      break;
    }
    if (!cause) return this.add({ at, kind: 'reaction', subject, text });
    const reactionMs = at - cause.at;
    this.add({
      at,
      kind: 'reaction',
      subject,
      text: `${cause.text} ${clock(cause.at)} → ${action} ${clock(at)} (${reactionMs} ms)`,
      cause: { at: cause.at, text: cause.text },
      reactionMs,
    });
  }
}

/** `inventory-1` → `inventory`. */
export function serviceOf(replica: string): string {
  return replica.replace(/-\d+$/, '');
}

/** 12:01:03.2 (UTC) */
export function clock(at: number): string {
  return new Date(at).toISOString().slice(11, 21);
}
