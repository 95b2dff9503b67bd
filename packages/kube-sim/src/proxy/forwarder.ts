/**
 * One Service's listener: a TCP port on the proxy host that forwards each incoming connection to
 * a ready endpoint, picked round-robin per connection (like kube-proxy's iptables rules plus
 * conntrack: a connection stays with its endpoint; an endpoint change affects new connections
 * only). When an endpoint refuses the connection, the next ready one is tried; with none left
 * (or none at all) the client connection is reset, as a ClusterIP without endpoints does.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface Endpoint {
  readonly ip: string;
  readonly port: number;
}

export class Forwarder {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #endpoints: readonly Endpoint[] = [];
  #next = 0;
  #port = 0;
  #closed = false;

  constructor(readonly name: string) {
    this.#server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => this.#accept(client));
    this.#server.on("error", () => undefined);
  }

  get port(): number {
    return this.#port;
  }

  get endpoints(): readonly Endpoint[] {
    return this.#endpoints;
  }

  /** Binds `port` on `host` (0: a random free one); resolves with the port. */
  listen(host: string, port = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.#server.once("error", onError);
      this.#server.listen(port, host, () => {
        this.#server.off("error", onError);
        const address = this.#server.address();
        this.#port = typeof address === "object" && address ? address.port : 0;
        resolve(this.#port);
      });
    });
  }

  /** Replaces the ready endpoints (new connections only; open ones stay where they are). */
  setEndpoints(endpoints: readonly Endpoint[]): void {
    this.#endpoints = endpoints;
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
  }

  #accept(client: Socket): void {
    if (this.#closed) return void client.destroy();
    this.#track(client);
    client.on("error", () => undefined);
    const all = this.#endpoints;
    const start = all.length > 0 ? this.#next++ % all.length : 0;
    const order = [...all.slice(start), ...all.slice(0, start)];
    this.#connect(client, order, 0);
  }

  #connect(client: Socket, candidates: readonly Endpoint[], i: number): void {
    const ep = candidates[i];
    if (!ep || client.destroyed || this.#closed) return void client.resetAndDestroy();
    const upstream = connect({ host: ep.ip, port: ep.port, allowHalfOpen: true });
    this.#track(upstream);
    const refused = () => {
      upstream.destroy();
      this.#connect(client, candidates, i + 1);
    };
    upstream.once("error", refused);
    upstream.once("connect", () => {
      upstream.off("error", refused);
      if (client.destroyed) return void upstream.destroy();
      this.#pipe(client, upstream);
    });
  }

  #pipe(client: Socket, upstream: Socket): void {
    upstream.on("error", () => undefined);
    upstream.on("close", (hadError) => (hadError ? client.resetAndDestroy() : client.end()));
    client.on("close", () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }

  close(): Promise<void> {
    this.#closed = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    return new Promise((resolve) => (this.#server.listening ? this.#server.close(() => resolve()) : resolve()));
  }
}
