import * as grpc from '@grpc/grpc-js';
import { EchoRequest, EchoResponse, EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { OrcaLoadReport } from '@ballast/stubs/xds/data/orca/v3/orca_load_report';
import { OpenRcaServiceDefinition } from '@ballast/stubs/xds/service/orca/v3/orca';
import { createEchoService, defaultBehaviour } from '@ballast/testing';
import { createChannel, createClient, Metadata } from 'nice-grpc';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, disconnect, serve, service, type ServeHandle } from '../src/index.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const ECHO_PATH = '/ballast.testing.v1.EchoService/Echo';
const BATCH = 40;
const MAX_BATCHES = 50;

/**
 * A serve() replica that counts its calls in `seen`. With `capacity` (calls per second) it reports
 * the utilisation a server of that capacity would have at the rate it serves: the same traffic
 * makes a replica with a tenth of the capacity ten times busier.
 */
async function startReplica(replica: string, seen: Record<string, number>, capacity?: number): Promise<ServeHandle> {
  const handle: ServeHandle = await serve({
    name: 'echo',
    services: [
      service(EchoServiceDefinition, {
        ...createEchoService(replica, defaultBehaviour(), { echo: 0, write: 0, count: 0 }),
        async echo(request) {
          seen[replica] = (seen[replica] ?? 0) + 1;
          if (capacity !== undefined) {
            handle.load!.setApplicationUtilization(Math.max(0.01, handle.load!.report.rpsFractional / capacity));
          }
          return { message: request.message, replica, payload: request.payload };
        },
      }),
    ],
    handleSignals: false,
    metrics: false,
    loadShedding: false,
    loadReports: { intervalMs: 50 },
  });
  cleanup.push(() => handle.close());
  return handle;
}

/**
 * Sends batches of calls until the last batch gave `busy` at most `share` of its calls; returns
 * that batch's share (or the last one seen when it never got there).
 */
async function shareUntil(call: () => Promise<unknown>, seen: Record<string, number>, busy: string, share: number) {
  let last = 1;
  for (let batch = 0; batch < MAX_BATCHES && last > share; batch++) {
    const before = seen[busy] ?? 0;
    for (let i = 0; i < BATCH; i++) await call();
    last = ((seen[busy] ?? 0) - before) / BATCH;
  }
  return last;
}

/** A plain grpc-js client for the echo method, over a channel with `serviceConfig`. */
function grpcJsEcho(addresses: string[], serviceConfig: object) {
  const client = new grpc.Client(`ipv4:${addresses.join(',')}`, grpc.credentials.createInsecure(), {
    'grpc.service_config': JSON.stringify(serviceConfig),
  });
  cleanup.push(() => client.close());
  const request = Buffer.from(EchoRequest.encode(EchoRequest.fromPartial({ message: 'x' })).finish());
  return () =>
    new Promise<void>((resolve, reject) =>
      client.makeUnaryRequest(
        ECHO_PATH,
        (b: Buffer) => b,
        (b: Buffer) => b,
        request,
        (error: grpc.ServiceError | null) => (error ? reject(error) : resolve()),
      ),
    );
}

describe('ORCA load reports', () => {
  it('serve() sends an endpoint-load-metrics-bin trailer and serves OpenRcaService', async () => {
    const handle = await startReplica('a', {});
    handle.load!.setApplicationUtilization(0.7);
    const channel = createChannel(handle.address);
    cleanup.push(() => channel.close());
    const echo = createClient(EchoServiceDefinition, channel);
    const orca = createClient(OpenRcaServiceDefinition, channel);
    let report: OrcaLoadReport | undefined;
    // The monitor samples every 50 ms: the first calls may come before its first sample.
    while (report === undefined || report.applicationUtilization !== 0.7) {
      await echo.echo(
        { message: 'x' },
        {
          onTrailer(trailer: Metadata) {
            const bytes = trailer.get('endpoint-load-metrics-bin');
            if (bytes instanceof Uint8Array) report = OrcaLoadReport.decode(bytes);
          },
        },
      );
    }
    expect(report.memUtilization).toBeGreaterThan(0);
    expect(report.namedMetrics).toHaveProperty('event_loop_delay_ms');

    const controller = new AbortController();
    const stream = orca.streamCoreMetrics(
      { reportInterval: { seconds: 0, nanos: 50e6 } },
      { signal: controller.signal },
    );
    const reports: OrcaLoadReport[] = [];
    for await (const item of stream) {
      reports.push(item);
      if (reports.length === 2) break;
    }
    controller.abort();
    expect(reports.map((r) => r.applicationUtilization)).toEqual([0.7, 0.7]);
    expect(reports[1]!.rpsFractional).toBeGreaterThanOrEqual(0);
  });

  for (const oob of [false, true]) {
    it(`a plain grpc-js weighted_round_robin client (${oob ? 'out-of-band' : 'per-call'} reports) shifts traffic away from a serve() replica busier for the same traffic`, async () => {
      const seen: Record<string, number> = {};
      const idle = await startReplica('idle', seen, 1_000);
      const busy = await startReplica('busy', seen, 100);
      const call = grpcJsEcho([idle.address, busy.address], {
        loadBalancingConfig: [
          {
            weighted_round_robin: {
              enable_oob_load_report: oob,
              oob_load_reporting_period: '0.05s',
              blackout_period: '0s',
              weight_update_period: '0.1s',
            },
          },
        ],
      });
      // Equal shares until the weights land; then about 1 call in 11 (weights qps / utilisation,
      // that is the capacities: 1 000 : 100).
      expect(await shareUntil(call, seen, 'busy', 0.25)).toBeLessThanOrEqual(0.25);
    });
  }

  for (const oob of [false, true]) {
    it(`a Ballast weighted-by-load client shifts traffic away from a plain grpc-js server reporting with ${oob ? 'its ServerMetricRecorder (out of band only)' : 'its per-call metric recorder'}`, async () => {
      const seen: Record<string, number> = {};
      const utilisation: Record<string, number> = { idle: 0.1, busy: 0.9 };
      const start = async (replica: string) => {
        // Out of band: grpc-js's ServerMetricRecorder serves OpenRcaService. Per call: each call's
        // trailers, from the call's own recorder, which grpc-js sends only with this option.
        const server = new grpc.Server(oob ? {} : { 'grpc.server_call_metric_recording': 1 });
        const recorder = new grpc.ServerMetricRecorder();
        recorder.setApplicationUtilizationMetric(utilisation[replica]!);
        recorder.setQpsMetric(100);
        recorder.addToServer(server);
        server.addService(
          {
            echo: {
              path: ECHO_PATH,
              requestStream: false,
              responseStream: false,
              requestSerialize: (value: EchoRequest) => Buffer.from(EchoRequest.encode(value).finish()),
              requestDeserialize: (bytes: Buffer) => EchoRequest.decode(bytes),
              responseSerialize: (value: EchoResponse) => Buffer.from(EchoResponse.encode(value).finish()),
              responseDeserialize: (bytes: Buffer) => EchoResponse.decode(bytes),
            },
          },
          {
            echo(call: grpc.ServerUnaryCall<EchoRequest, EchoResponse>, callback: grpc.sendUnaryData<EchoResponse>) {
              seen[replica] = (seen[replica] ?? 0) + 1;
              if (!oob) {
                const metrics = call.getMetricsRecorder();
                metrics.recordApplicationUtilizationMetric(utilisation[replica]!);
                metrics.recordQpsMetric(100);
              }
              callback(null, { message: call.request.message, replica, payload: Buffer.alloc(0) });
            },
          },
        );
        const port = await new Promise<number>((resolve, reject) =>
          server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
            error ? reject(error) : resolve(bound),
          ),
        );
        cleanup.push(() => server.forceShutdown());
        return `127.0.0.1:${port}`;
      };
      const addresses = [await start('idle'), await start('busy')];
      const client = connect(EchoServiceDefinition, {
        endpoints: addresses,
        balancer: 'weighted-by-load',
        balancerOptions: { blackoutMs: 0, weightUpdatePeriodMs: 100, ...(oob && { oobReportPeriodMs: 100 }) },
        healthCheck: false,
      });
      cleanup.push(() => disconnect(client));
      // Weights 100/0.1 : 100/0.9 once the first reports are in: about 1 call in 10 to the busy one.
      expect(await shareUntil(() => client.echo({ message: 'x' }), seen, 'busy', 0.25)).toBeLessThanOrEqual(0.25);
    });
  }
});
