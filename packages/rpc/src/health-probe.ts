import { readFileSync } from 'node:fs';
import { connectivityState, credentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { ClientError, createChannel, createClient, Metadata, Status } from 'nice-grpc';
import { HealthDefinition } from 'nice-grpc-server-health';
import type { HealthProbeArgs } from './health-probe-args.js';

/** grpc_health_probe's exit codes. */
export const HealthProbeExit = {
  serving: 0,
  usage: 1,
  connectionFailed: 2,
  rpcFailed: 3,
  notServing: 4,
} as const;
export type HealthProbeExitCode = (typeof HealthProbeExit)[keyof typeof HealthProbeExit];

export interface HealthProbeResult {
  readonly exitCode: HealthProbeExitCode;
  /** One line for stdout (SERVING) or stderr (anything else), worded as grpc_health_probe's. */
  readonly message: string;
}

const STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

function readPem(flag: string, file: string | undefined): Buffer | null {
  if (file === undefined) return null;
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`failed to read ${flag} "${file}": ${(error as Error).message}`, { cause: error });
  }
}

function channelCredentials(tls: NonNullable<HealthProbeArgs['tls']>): ChannelCredentials {
  const ca = readPem('-tls-ca-cert', tls.caCert);
  const cert = readPem('-tls-client-cert', tls.clientCert);
  const key = readPem('-tls-client-key', tls.clientKey);
  return credentials.createSsl(
    ca,
    key,
    cert,
    tls.noVerify ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {},
  );
}

/**
 * One grpc.health.v1 Check, as grpc_health_probe makes it: connect within connectTimeoutMs, then
 * the call within rpcTimeoutMs; SERVING is the only success. Never throws: every failure is a result.
 */
export async function probeHealth(
  args: HealthProbeArgs,
  log: (line: string) => void = () => {},
): Promise<HealthProbeResult> {
  const options: ChannelOptions = { 'grpc.primary_user_agent': args.userAgent, 'grpc.enable_retries': 0 };
  if (args.tls?.serverName) {
    options['grpc.ssl_target_name_override'] = args.tls.serverName;
    options['grpc.default_authority'] = args.tls.serverName;
  }
  let creds: ChannelCredentials;
  try {
    creds = args.tls ? channelCredentials(args.tls) : credentials.createInsecure();
  } catch (error) {
    return { exitCode: HealthProbeExit.usage, message: `error: ${(error as Error).message}` };
  }
  const channel = createChannel(args.addr, creds, options);
  try {
    log(`establishing connection to ${args.addr}${args.tls ? ' (TLS)' : ''}`);
    const connected = await waitForReady(channel, Date.now() + args.connectTimeoutMs);
    if (!connected)
      return {
        exitCode: HealthProbeExit.connectionFailed,
        message: `timeout: failed to connect service "${args.addr}" within ${args.connectTimeoutMs}ms`,
      };
    log(`connected; checking service "${args.service}"`);
    const client = createClient(HealthDefinition, channel);
    const metadata = new Metadata();
    for (const [key, value] of args.rpcHeaders) metadata.append(key, value);
    try {
      const response = await client.check(
        { service: args.service },
        { metadata, signal: AbortSignal.timeout(args.rpcTimeoutMs) },
      );
      const name = STATUS_NAMES[response.status] ?? String(response.status);
      if (name === 'SERVING') return { exitCode: HealthProbeExit.serving, message: 'status: SERVING' };
      return { exitCode: HealthProbeExit.notServing, message: `service unhealthy (responded with "${name}")` };
    } catch (error) {
      return { exitCode: HealthProbeExit.rpcFailed, message: describeRpcError(error, args.rpcTimeoutMs) };
    }
  } finally {
    channel.close();
  }
}

function describeRpcError(error: unknown, rpcTimeoutMs: number): string {
  if (error instanceof ClientError) {
    if (error.code === Status.UNIMPLEMENTED)
      return `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${error.details}`;
    if (error.code === Status.NOT_FOUND)
      return `error: health rpc failed: NOT_FOUND: ${error.details || 'unknown service'}`;
    return `error: health rpc failed: ${Status[error.code]}: ${error.details}`;
  }
  if ((error as Error)?.name === 'AbortError' || (error as Error)?.name === 'TimeoutError')
    return `timeout: health rpc did not complete within ${rpcTimeoutMs}ms`;
  return `error: health rpc failed: ${(error as Error)?.message ?? String(error)}`;
}

/** Waits for READY, retrying through transient failures, until the deadline (false then). */
function waitForReady(channel: ReturnType<typeof createChannel>, deadline: number): Promise<boolean> {
  return new Promise((resolve) => {
    const step = () => {
      const state = channel.getConnectivityState(true);
      if (state === connectivityState.READY) return resolve(true);
      if (state === connectivityState.SHUTDOWN || Date.now() >= deadline) return resolve(false);
      channel.watchConnectivityState(state, deadline, (error) => (error ? resolve(false) : step()));
    };
    step();
  });
}
