import { EndpointTable } from '@ballast/balancer';
import { realTimersOn, type EndpointSource, type Logger } from '@ballast/core';
import type { CertificateFiles } from './certificate-files.js';
import type { ParsedConnectOptions } from './connect-options.js';
import { RpcOptionsError } from './errors.js';
import type { Placement } from './placement-options.js';
import { clientTls } from './tls.js';

/** A client's endpoint table, and the certificate files its connections' credentials follow. */
export interface ClientTable {
  readonly table: EndpointTable;
  readonly certificates: CertificateFiles | undefined;
  close(): void;
}

type TableOptions = Pick<ParsedConnectOptions, 'credentials' | 'tls' | 'maxMessageBytes' | 'keepalive' | 'clock'>;

/**
 * The one table of a client's endpoints: one connection per endpoint, with the client's
 * credentials, message limits and keepalive, shared by its calls and its health checks. A bad TLS
 * option throws naming `tls`; nothing is left open when it does.
 */
export function clientTable(
  options: TableOptions,
  source: EndpointSource,
  placement: Placement,
  parent: Logger | undefined,
): ClientTable {
  let credentials = options.credentials;
  let certificates: CertificateFiles | undefined;
  if (credentials === undefined) {
    try {
      ({ credentials, certificates } = clientTls(options.tls, parent));
    } catch (error) {
      throw new RpcOptionsError('connect', 'tls', (error as Error).message);
    }
  }
  try {
    const table = new EndpointTable({
      source,
      subset: placement.subset,
      scheduler: realTimersOn(options.clock),
      credentials,
      channelOptions: {
        'grpc.max_receive_message_length': options.maxMessageBytes,
        'grpc.max_send_message_length': options.maxMessageBytes,
        // Health checks share this connection: a replica that restarts is found again quickly.
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1_000,
        ...keepaliveOptions(options.keepalive),
      },
      logger: parent,
    });
    return {
      table,
      certificates,
      close: () => {
        table.close();
        certificates?.close();
      },
    };
  } catch (error) {
    certificates?.close();
    throw error;
  }
}

/**
 * grpc-js keepalive options. A ping every 30 s is far above what Ballast's and grpc-js's servers
 * accept, and finds a half-open connection (a peer behind a dead NAT or a crashed host) that no
 * call would notice until its deadline.
 */
function keepaliveOptions(keepalive: ParsedConnectOptions['keepalive']): Record<string, number> {
  if (keepalive === false) return {};
  return {
    'grpc.keepalive_time_ms': keepalive.timeMs,
    'grpc.keepalive_timeout_ms': keepalive.timeoutMs,
    'grpc.keepalive_permit_without_calls': keepalive.withoutCalls ? 1 : 0,
  };
}
