import { MetadataKeys, type LoadReport } from '@ballast/core';
import { OrcaLoadReport } from '@ballast/stubs/xds/data/orca/v3/orca_load_report';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { createEchoService, defaultBehaviour, type EchoBehaviour, type EchoCounters } from '@ballast/testing';
import { createServer, type CallContext, type ServerMiddleware } from 'nice-grpc';

/** An in-process echo replica that records the request metadata it saw and can report load. */
export interface RecordingServer {
  replica: string;
  address: string;
  behaviour: EchoBehaviour;
  counters: EchoCounters;
  /** Request metadata keys of every call, in arrival order. */
  seenKeys: string[][];
  /** Sent as the ORCA `endpoint-load-metrics-bin` trailer of every call when set. */
  load: LoadReport | undefined;
  close(): Promise<void>;
  kill(): void;
}

export async function startRecordingServer(replica: string): Promise<RecordingServer> {
  const behaviour = defaultBehaviour();
  const counters: EchoCounters = { echo: 0, write: 0, count: 0 };
  const state = { seenKeys: [] as string[][], load: undefined as LoadReport | undefined };
  const record: ServerMiddleware = async function* (call, context: CallContext) {
    state.seenKeys.push([...context.metadata].map(([key]) => key));
    try {
      return yield* call.next(call.request, context);
    } finally {
      if (state.load)
        context.trailer.set(MetadataKeys.load, OrcaLoadReport.encode(OrcaLoadReport.fromPartial(state.load)).finish());
    }
  };
  const server = createServer().use(record);
  server.add(EchoServiceDefinition, createEchoService(replica, behaviour, counters));
  const port = await server.listen('127.0.0.1:0');
  return {
    replica,
    address: `127.0.0.1:${port}`,
    behaviour,
    counters,
    get seenKeys() {
      return state.seenKeys;
    },
    get load() {
      return state.load;
    },
    set load(value) {
      state.load = value;
    },
    close: () => server.shutdown(),
    kill: () => server.forceShutdown(),
  };
}
