import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { experimental } from '@grpc/grpc-js';
import { Emitter, repeat, systemScheduler, type Disposer, type Logger, type Scheduler } from '@ballast/core';

/** A PEM as a file path or its contents. */
export type Pem = string | Buffer;

type Provider = experimental.CertificateProvider;
type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** What a reload found, as `onReload` tells it. */
export type CertificateReload =
  | { readonly type: 'changed'; readonly files: readonly string[] }
  | { readonly type: 'rejected'; readonly reason: string };

export interface CertificateFilesOptions {
  readonly cert?: Pem;
  readonly key?: Pem;
  readonly ca?: Pem;
  /** How often files are read again; 0 reads them once. */
  readonly reloadIntervalMs: number;
  readonly logger: Logger;
  /** The re-reading timer's; a VirtualScheduler in tests. */
  readonly scheduler?: Scheduler;
}

/** Whether `pem` names a file (as opposed to holding PEM text or bytes). */
export function isPath(pem: Pem | undefined): pem is string {
  return typeof pem === 'string' && !pem.includes('-----BEGIN');
}

function read(pem: Pem): Buffer {
  if (Buffer.isBuffer(pem)) return pem;
  return isPath(pem) ? CertificateFiles.read(pem) : Buffer.from(pem);
}

interface Loaded {
  readonly identity: experimental.IdentityCertificateUpdate | null;
  readonly ca: experimental.CaCertificateUpdate | null;
}

/**
 * Certificate, key and CA as grpc-js's CertificateProvider serves them to server and channel
 * credentials, re-read from their files every `reloadIntervalMs` while some credentials listen.
 * A new TLS handshake uses the latest; connections already up, and the calls on them, are not
 * touched. A set read mid-rotation (a certificate that does not match its key, a file missing or
 * not PEM) is rejected and the last good set stays, so a rotation that writes files one by one
 * never takes the server or client down. grpc-js's own FileWatcherCertificateProvider would
 * publish such a half-written set, and drop the credentials on a missing file.
 */
export class CertificateFiles implements Provider {
  readonly #options: CertificateFilesOptions;
  readonly #paths: string[];
  readonly #caListeners = new Set<CaListener>();
  readonly #identityListeners = new Set<IdentityListener>();
  readonly #reloads: Emitter<CertificateReload>;
  #loaded: Loaded;
  #stopWatching: Disposer | undefined;
  #lastRejection: string | undefined;

  /** Reads and checks the files now; throws, naming the problem, when they are unusable. */
  constructor(options: CertificateFilesOptions) {
    this.#options = options;
    this.#reloads = new Emitter('certificate reload', options.logger);
    this.#paths = [options.cert, options.key, options.ca].filter(isPath);
    this.#loaded = this.#load();
  }

  /** Reads a PEM file, naming it when it cannot. */
  static read(path: string): Buffer {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** Files re-read by this provider (empty when every PEM was given inline). */
  get files(): readonly string[] {
    return this.#paths;
  }

  /** Hears each reload that changed the certificates or was rejected. */
  onReload(listener: (reload: CertificateReload) => void): Disposer {
    return this.#reloads.on(listener);
  }

  /** Reads the files now; listeners hear of a change. Returns whether something changed. */
  reload(): boolean {
    let next: Loaded;
    try {
      next = this.#load();
    } catch (error) {
      const reason = (error as Error).message;
      // Said once per distinct problem: a rotation in progress is retried at the next tick.
      if (reason !== this.#lastRejection) {
        this.#options.logger.warn(
          { files: this.#paths, reason },
          'certificate files rejected; keeping the last good set',
        );
      }
      this.#lastRejection = reason;
      this.#reloads.emit({ type: 'rejected', reason });
      return false;
    }
    this.#lastRejection = undefined;
    const previous = this.#loaded;
    const identityChanged = !sameIdentity(previous.identity, next.identity);
    const caChanged = !sameBuffer(previous.ca?.caCertificate, next.ca?.caCertificate);
    if (!identityChanged && !caChanged) return false;
    this.#loaded = next;
    const changed = [
      ...(identityChanged ? [this.#options.cert, this.#options.key] : []),
      ...(caChanged ? [this.#options.ca] : []),
    ].filter(isPath);
    this.#options.logger.info({ files: changed }, 'certificates reloaded; new connections use them');
    if (identityChanged) for (const listener of [...this.#identityListeners]) listener(next.identity);
    if (caChanged) for (const listener of [...this.#caListeners]) listener(next.ca);
    this.#reloads.emit({ type: 'changed', files: changed });
    return true;
  }

  // A new listener hears the current set on the next tick, as from grpc-js's own provider: grpc-js
  // server credentials register their watcher only after adding these listeners, and would miss
  // an answer given at once.
  addCaCertificateListener(listener: CaListener): void {
    this.#caListeners.add(listener);
    process.nextTick(() => this.#caListeners.has(listener) && listener(this.#loaded.ca));
    this.#watch();
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.#caListeners.delete(listener);
    this.#unwatch();
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.add(listener);
    process.nextTick(() => this.#identityListeners.has(listener) && listener(this.#loaded.identity));
    this.#watch();
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.delete(listener);
    this.#unwatch();
  }

  /** Stops re-reading (credentials that still listen keep the last set). */
  close(): void {
    this.#stopWatching?.();
    this.#stopWatching = undefined;
    this.#reloads.clear();
  }

  #watch(): void {
    if (this.#stopWatching !== undefined || this.#paths.length === 0 || this.#options.reloadIntervalMs <= 0) return;
    const scheduler = this.#options.scheduler ?? systemScheduler;
    this.#stopWatching = repeat(scheduler, this.#options.reloadIntervalMs, () => this.reload(), { unref: true });
  }

  #unwatch(): void {
    if (this.#caListeners.size + this.#identityListeners.size > 0) return;
    this.#stopWatching?.();
    this.#stopWatching = undefined;
  }

  #load(): Loaded {
    const { cert, key, ca } = this.#options;
    let identity: Loaded['identity'] = null;
    if (cert !== undefined && key !== undefined) {
      const certificate = read(cert);
      const privateKey = read(key);
      let matches: boolean;
      try {
        matches = new X509Certificate(certificate).checkPrivateKey(createPrivateKey(privateKey));
      } catch (error) {
        throw new Error(`the certificate or key is not a PEM this process can read (${(error as Error).message})`, {
          cause: error,
        });
      }
      if (!matches) throw new Error('the certificate does not match the private key (a rotation half done?)');
      identity = { certificate, privateKey };
    }
    let caUpdate: Loaded['ca'] = null;
    if (ca !== undefined) {
      const caCertificate = read(ca);
      try {
        new X509Certificate(caCertificate);
      } catch (error) {
        throw new Error(`the CA is not a PEM certificate (${(error as Error).message})`, { cause: error });
      }
      caUpdate = { caCertificate };
    }
    return { identity, ca: caUpdate };
  }
}

function sameBuffer(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.equals(b));
}

function sameIdentity(a: Loaded['identity'], b: Loaded['identity']): boolean {
  return sameBuffer(a?.certificate, b?.certificate) && sameBuffer(a?.privateKey, b?.privateKey);
}
