import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { createEchoService, defaultBehaviour } from '@ballast/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, disconnect, serve, service, tracingActive } from '../src/index.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('tracing without an OpenTelemetry SDK', () => {
  it('stays out of the way: no spans, no trace context on the wire', async () => {
    expect(tracingActive()).toBe(false);
    const traceparents: boolean[] = [];
    const echo = createEchoService('a', defaultBehaviour(), { echo: 0, write: 0, count: 0 });
    const handle = await serve({
      name: 'echo',
      services: [
        service(EchoServiceDefinition, {
          ...echo,
          echo(request, context) {
            traceparents.push(context.metadata.has('traceparent'));
            return echo.echo(request, context);
          },
        }),
      ],
      handleSignals: false,
      metrics: false,
    });
    cleanup.push(() => handle.close());
    const client = connect(EchoServiceDefinition, { endpoints: [handle.address], metrics: false });
    cleanup.push(() => disconnect(client));
    expect((await client.echo({ message: 'x' })).message).toBe('x');
    expect(traceparents).toEqual([false]);
  });
});
