import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { currentDeadline } from '@ballast/recovery';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, disconnect, serve, service } from '../src/index.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const noStream = { async *count() {}, async *chat() {} };

describe('deadline propagation through serve() and connect()', () => {
  it('a deadline set at the edge reaches the third hop, shortened on the way', async () => {
    // C reports how much of the incoming deadline is left.
    const c = await serve({
      name: 'hop-c',
      handleSignals: false,
      metrics: false,
      services: [
        service(EchoServiceDefinition, {
          async echo() {
            const deadline = currentDeadline();
            const left = deadline ? Math.round(deadline.at - Date.now()) : -1;
            return { message: String(left), replica: 'c', payload: Buffer.alloc(0) };
          },
          async write() {
            return { replica: 'c', sequence: 0 };
          },
          ...noStream,
        }),
      ],
    });
    cleanup.push(() => c.close());
    const toC = connect(EchoServiceDefinition, { endpoints: [c.address], deadlineMs: 60_000 });
    cleanup.push(() => disconnect(toC));

    // B forwards to C with no deadline of its own: it inherits what is left of the edge's.
    const b = await serve({
      name: 'hop-b',
      handleSignals: false,
      metrics: false,
      services: [
        service(EchoServiceDefinition, {
          async echo(request) {
            return toC.echo(request);
          },
          async write() {
            return { replica: 'b', sequence: 0 };
          },
          ...noStream,
        }),
      ],
    });
    cleanup.push(() => b.close());
    const edge = connect(EchoServiceDefinition, { endpoints: [b.address], deadlineMs: 60_000 });
    cleanup.push(() => disconnect(edge));

    const left = Number((await edge.echo({ message: 'x' }, { deadline: 800 })).message);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(800);
  });
});
