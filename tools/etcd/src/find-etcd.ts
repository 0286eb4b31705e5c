import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export class EtcdNotFoundError extends Error {
  readonly code = 'ETCD_NOT_FOUND';
  constructor(searched: string) {
    super(
      `etcd was not found (${searched}). Install it — Debian/Ubuntu: "sudo apt-get install etcd-server" ` +
        `(or run "npm run setup") — or point ETCD_BIN at an etcd binary.`,
    );
    this.name = 'EtcdNotFoundError';
  }
}

/** The etcd binary from ETCD_BIN, else the first `etcd` on PATH. */
export function findEtcd(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ETCD_BIN) {
    if (isExecutable(env.ETCD_BIN)) return env.ETCD_BIN;
    throw new EtcdNotFoundError(`ETCD_BIN=${env.ETCD_BIN} is not an executable file`);
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'etcd');
    if (isExecutable(candidate)) return candidate;
  }
  throw new EtcdNotFoundError('no "etcd" on PATH and ETCD_BIN is not set');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
