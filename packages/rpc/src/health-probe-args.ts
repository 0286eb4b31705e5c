/**
 * The command line of `ballast-health`, grpc_health_probe's flags: Go flag syntax (`-addr=h:p`,
 * `-addr h:p`, `--addr h:p`; a boolean flag alone means true), durations as Go writes them.
 */
export interface HealthProbeArgs {
  readonly addr: string;
  /** grpc.health.v1 service to ask about; '' is the server's overall status. */
  readonly service: string;
  readonly connectTimeoutMs: number;
  readonly rpcTimeoutMs: number;
  readonly userAgent: string;
  readonly rpcHeaders: readonly (readonly [string, string])[];
  readonly verbose: boolean;
  readonly tls?: {
    readonly noVerify: boolean;
    readonly caCert?: string;
    readonly clientCert?: string;
    readonly clientKey?: string;
    readonly serverName?: string;
  };
}

/** A bad command line: grpc_health_probe exits 1 for these. */
export class HealthProbeUsageError extends Error {
  readonly code = 'INVALID_ARGUMENTS';
  constructor(message: string) {
    super(message);
    this.name = 'HealthProbeUsageError';
  }
}

export const HEALTH_PROBE_USAGE = `usage: ballast-health -addr host:port [-service name] [flags]
  -addr string             host:port of the gRPC server (required)
  -service string          service name to check (default "": the server's overall status)
  -connect-timeout dur     time to establish the connection (default 1s)
  -rpc-timeout dur         time for the Check call (default 1s)
  -tls                     use TLS (default false: plaintext)
  -tls-no-verify           with -tls, do not verify the server's certificate
  -tls-ca-cert file        with -tls, CA certificates that verify the server (default: system roots)
  -tls-client-cert file    with -tls, client certificate for mTLS (with -tls-client-key)
  -tls-client-key file     with -tls, client private key for mTLS (with -tls-client-cert)
  -tls-server-name name    with -tls, name to verify the server certificate against
  -user-agent string       user-agent header (default "ballast-health")
  -rpc-header "k: v"       extra metadata for the call (repeatable)
  -v                       verbose: print what is done
exit codes: 0 SERVING, 1 bad arguments, 2 connection failed, 3 call failed, 4 not SERVING`;

const BOOLEAN = new Set(['tls', 'tls-no-verify', 'v']);
const STRING = new Set([
  'addr',
  'service',
  'connect-timeout',
  'rpc-timeout',
  'tls-ca-cert',
  'tls-client-cert',
  'tls-client-key',
  'tls-server-name',
  'user-agent',
  'rpc-header',
]);
const UNSUPPORTED = new Set(['alts', 'spiffe', 'gzip']);
const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("1s", "500ms", "1m30s") in milliseconds. */
export function parseGoDuration(flag: string, text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text)
    throw new HealthProbeUsageError(`-${flag}: invalid duration "${text}"; write it like 1s, 500ms or 1m30s`);
  const ms = parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNITS[unit!]!, 0);
  if (ms <= 0) throw new HealthProbeUsageError(`-${flag}: must be greater than zero, got "${text}"`);
  return ms;
}

function parseBool(flag: string, text: string): boolean {
  if (/^(1|t|true|TRUE|True)$/.test(text)) return true;
  if (/^(0|f|false|FALSE|False)$/.test(text)) return false;
  throw new HealthProbeUsageError(`-${flag}: invalid boolean "${text}"; use -${flag} or -${flag}=false`);
}

/** Parses argv (without node and script) or throws HealthProbeUsageError naming the bad flag. */
export function parseHealthProbeArgs(argv: readonly string[]): HealthProbeArgs {
  const strings = new Map<string, string>();
  const headers: [string, string][] = [];
  const bools = new Map<string, boolean>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--?([a-z][a-z-]*)(?:=(.*))?$/s.exec(arg);
    if (!match)
      throw new HealthProbeUsageError(`unexpected argument "${arg}": every option is a flag, e.g. -addr host:port`);
    const [, name, inline] = match as unknown as [string, string, string | undefined];
    if (UNSUPPORTED.has(name)) throw new HealthProbeUsageError(`-${name} is not supported by ballast-health`);
    if (BOOLEAN.has(name)) {
      bools.set(name, inline === undefined ? true : parseBool(name, inline));
      continue;
    }
    if (!STRING.has(name)) throw new HealthProbeUsageError(`unknown flag -${name}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new HealthProbeUsageError(`flag needs an argument: -${name}`);
    if (name === 'rpc-header') {
      const header = /^([^:\s]+):\s*(.*)$/.exec(value);
      if (!header) throw new HealthProbeUsageError(`-rpc-header: expected "key: value", got "${value}"`);
      headers.push([header[1]!.toLowerCase(), header[2]!]);
    } else strings.set(name, value);
  }

  const addr = strings.get('addr');
  if (!addr) throw new HealthProbeUsageError('-addr not specified: give the server as -addr host:port');
  const tls = bools.get('tls') ?? false;
  const tlsFlags = ['tls-no-verify', 'tls-ca-cert', 'tls-client-cert', 'tls-client-key', 'tls-server-name'];
  const given = tlsFlags.filter((f) => strings.has(f) || bools.get(f));
  if (!tls && given.length > 0) throw new HealthProbeUsageError(`specified -${given[0]} without specifying -tls`);
  if (bools.get('tls-no-verify') && strings.has('tls-ca-cert'))
    throw new HealthProbeUsageError('cannot specify -tls-ca-cert with -tls-no-verify (the CA would not be used)');
  if (strings.has('tls-client-cert') !== strings.has('tls-client-key'))
    throw new HealthProbeUsageError('-tls-client-cert and -tls-client-key go together: give both or neither');
  return {
    addr,
    service: strings.get('service') ?? '',
    connectTimeoutMs: parseGoDuration('connect-timeout', strings.get('connect-timeout') ?? '1s'),
    rpcTimeoutMs: parseGoDuration('rpc-timeout', strings.get('rpc-timeout') ?? '1s'),
    userAgent: strings.get('user-agent') ?? 'ballast-health',
    rpcHeaders: headers,
    verbose: bools.get('v') ?? false,
    tls: tls
      ? {
          noVerify: bools.get('tls-no-verify') ?? false,
          caCert: strings.get('tls-ca-cert'),
          clientCert: strings.get('tls-client-cert'),
          clientKey: strings.get('tls-client-key'),
          serverName: strings.get('tls-server-name'),
        }
      : undefined,
  };
}
