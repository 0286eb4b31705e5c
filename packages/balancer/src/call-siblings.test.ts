import { describe, expect, it } from 'vitest';
import { CallSiblings } from './call-siblings.js';

describe('CallSiblings', () => {
  it('tracks in-flight endpoints per call and forgets a call when its last attempt ends', () => {
    const siblings = new CallSiblings();
    siblings.add('call-1', 'a');
    siblings.add('call-1', 'a');
    siblings.add('call-1', 'b');
    expect([...siblings.busy('call-1')!.keys()]).toEqual(['a', 'b']);
    siblings.remove('call-1', 'a');
    expect([...siblings.busy('call-1')!.keys()]).toEqual(['a', 'b']);
    siblings.remove('call-1', 'a');
    siblings.remove('call-1', 'b');
    expect(siblings.busy('call-1')).toBeUndefined();
    expect(siblings.size).toBe(0);
    siblings.remove('unknown', 'a');
    expect(siblings.size).toBe(0);
  });
});
