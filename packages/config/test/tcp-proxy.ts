import { connect, createServer, type Server, type Socket } from 'node:net';

interface Link {
  readonly client: Socket;
  readonly upstream: Socket;
  silenced: boolean;
}

/**
 * A loopback TCP proxy that can silence a connection without closing it: bytes stop flowing both
 * ways but no FIN or RST is sent — what a frozen peer or a dead NAT entry looks like to the client.
 */
export class TcpProxy {
  readonly links: Link[] = [];
  readonly #server: Server;
  #partitioned = false;

  private constructor(target: URL) {
    this.#server = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      const link: Link = { client, upstream, silenced: this.#partitioned };
      this.links.push(link);
      client.on('data', (chunk: Buffer) => link.silenced || upstream.write(chunk));
      upstream.on('data', (chunk: Buffer) => link.silenced || client.write(chunk));
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
  }

  static async start(target: string): Promise<TcpProxy> {
    const proxy = new TcpProxy(new URL(target));
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    const address = this.#server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  /** Stops forwarding on one connection (by the order they were opened) without closing it. */
  silence(index: number): void {
    this.links[index]!.silenced = true;
  }

  /** Silences every connection, now and later: a full partition between the client and etcd. */
  partition(): void {
    this.#partitioned = true;
    for (const link of this.links) link.silenced = true;
  }

  async close(): Promise<void> {
    for (const link of this.links) {
      link.client.destroy();
      link.upstream.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
