import type { Clock, Endpoint, Random } from '@ballast/core';
import type { Picker, Policy } from './picker.js';
import type { SlowStartOptions } from './slow-start/slow-start.js';
import { SlowStartPicker, SlowStartTracker } from './slow-start/slow-start-picker.js';
import { zonePicker } from './zone/zone-picker.js';

/**
 * The layers a channel puts around its policy's pickers: slow start inside each zone's picker (a
 * turned-down pick of a ramping endpoint stays in its zone), and the zone layer over them when
 * the client names its zone. Keeps the ramp starts across rebuilds.
 */
export class PickerLayers {
  readonly #slowStart: { readonly options: SlowStartOptions; readonly tracker: SlowStartTracker } | undefined;

  constructor(
    private readonly policy: Policy,
    private readonly zone: string | undefined,
    slowStart: SlowStartOptions | false | undefined,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {
    if (slowStart) this.#slowStart = { options: slowStart, tracker: new SlowStartTracker(slowStart, clock) };
  }

  /** A picker over `eligible`, of `all` the endpoints the client holds (its subset). */
  build(all: readonly Endpoint[], eligible: readonly Endpoint[]): Picker {
    const slowStart = this.#slowStart;
    const since = slowStart?.tracker.update(eligible);
    const build = (list: readonly Endpoint[]): Picker => {
      const picker = this.policy.picker(list);
      if (slowStart === undefined || since === undefined || since.size === 0) return picker;
      return new SlowStartPicker(picker, since, slowStart.options, this.clock, this.random);
    };
    return this.zone === undefined ? build(eligible) : zonePicker(all, eligible, this.zone, build, this.random);
  }
}
