import { allHealthy, type Endpoint, type HealthView } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { combineHealthViews } from './combine-health-views.js';

const endpoints: Endpoint[] = ['a', 'b', 'c'].map((id) => ({ id, address: `127.0.0.1:${id.charCodeAt(0)}` }));

function view(drop: string, panicBelow = 0): HealthView & { fire(): void } {
  const listeners = new Set<() => void>();
  return {
    eligible: (list) => {
      const kept = list.filter((e) => e.id !== drop);
      return kept.length < panicBelow ? list : kept;
    },
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    fire: () => listeners.forEach((l) => l()),
  };
}

describe('combineHealthViews', () => {
  it('applies the views in order and forwards every change', () => {
    const first = view('a');
    const second = view('b', 2); // "panics" when fewer than 2 would remain
    const combined = combineHealthViews(first, second);
    // first drops a → [b, c]; second would leave [c] (< 2) so it panics and keeps [b, c]
    expect(combined.eligible(endpoints).map((e) => e.id)).toEqual(['b', 'c']);
    expect(
      combineHealthViews(view('a'), view('b'))
        .eligible(endpoints)
        .map((e) => e.id),
    ).toEqual(['c']);
    expect(combineHealthViews(allHealthy).eligible(endpoints)).toEqual(endpoints);
    let changes = 0;
    const dispose = combined.onChange(() => changes++);
    first.fire();
    second.fire();
    expect(changes).toBe(2);
    dispose();
    first.fire();
    expect(changes).toBe(2);
  });
});
