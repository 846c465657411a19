/**
 * TLS for the HTTP endpoint (`--http.tls.cert`, `--http.tls.key`,
 * `--http.tls.clientca`): a listener whose connections look like
 * `Deno.Conn` to the HTTP/1 server, so TLS changes nothing above it.
 *
 * Deno 2.9's own `Deno.listenTls` cannot ask for client certificates
 * (denoland/deno#26825); its `node:tls` server can (`requestCert`, `ca`,
 * `rejectUnauthorized`), so both server TLS and mutual TLS use `node:tls`.
 * A client without a certificate, or with one no CA in `--http.tls.clientca`
 * signed, fails the handshake and never reaches the HTTP server. Clients
 * that never finish the handshake are dropped after
 * {@linkcode TLS_HANDSHAKE_TIMEOUT_MS}, and at most
 * {@linkcode TLS_MAX_PENDING} connections are accepted but not yet handed
 * to the HTTP server (its own cap applies after that).
 *
 * @module
 */
import { createServer, type TLSSocket } from "node:tls";

/** Time a client has to complete the TLS handshake. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Connections the TLS server holds (handshaking or waiting for accept). */
export const TLS_MAX_PENDING = 512;
/** Bytes read ahead of the HTTP server before the socket is paused. */
const READ_AHEAD_BYTES = 64 * 1024;

/** PEM material and the listen address. */
export interface TlsListenOptions {
  /** Listen host. */
  hostname: string;
  /** Listen port (0 picks one). */
  port: number;
  /** Server certificate chain (PEM). */
  cert: string;
  /** Server private key (PEM). */
  key: string;
  /** CA certificates (PEM) a client certificate must chain to; unset: no client certificate. */
  clientCa?: string;
}

/** A TLS socket as the `Deno.Conn` subset the HTTP/1 server uses. */
class TlsSocketConn {
  readonly remoteAddr: Deno.NetAddr;
  readonly localAddr: Deno.NetAddr;
  #sock: TLSSocket;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(sock: TLSSocket) {
    this.#sock = sock;
    this.remoteAddr = {
      transport: "tcp",
      hostname: sock.remoteAddress ?? "",
      port: sock.remotePort ?? 0,
    };
    this.localAddr = {
      transport: "tcp",
      hostname: sock.localAddress ?? "",
      port: sock.localPort ?? 0,
    };
    sock.on("data", (d: Uint8Array) => {
      this.#chunks.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      this.#buffered += d.byteLength;
      if (this.#buffered >= READ_AHEAD_BYTES) sock.pause();
      this.#notify();
    });
    sock.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    sock.on("close", () => {
      this.#ended = true;
      this.#notify();
    });
    sock.on("error", (e: Error) => {
      this.#error ??= e;
      this.#notify();
    });
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  async read(p: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((r) => this.#wake = r);
    }
    const head = this.#chunks[0];
    const n = Math.min(p.length, head.length);
    p.set(head.subarray(0, n));
    if (n === head.length) this.#chunks.shift();
    else this.#chunks[0] = head.subarray(n);
    this.#buffered -= n;
    if (this.#buffered < READ_AHEAD_BYTES) this.#sock.resume();
    return n;
  }

  write(p: Uint8Array): Promise<number> {
    if (this.#error) return Promise.reject(this.#error);
    const copy = p.slice();
    return new Promise((resolve, reject) => {
      this.#sock.write(copy, (err?: Error | null) => {
        if (err) reject(err);
        else resolve(copy.length);
      });
    });
  }

  close(): void {
    this.#ended = true;
    this.#sock.destroy();
    this.#notify();
  }
}

/** A TLS listener with the `Deno.Listener` methods the accept loop uses. */
export interface TlsListener {
  /** The address listened on. */
  readonly addr: Deno.NetAddr;
  /** Resolves with the next connection whose handshake succeeded. */
  accept(): Promise<Deno.Conn<Deno.NetAddr>>;
  /** Stops listening; a pending `accept` rejects with `BadResource`. */
  close(): void;
}

/**
 * Listens with TLS (and, with `clientCa`, requires a client certificate
 * signed by one of those CAs).
 *
 * @param opts Address and PEM material.
 * @returns The listener, once it listens.
 * @throws {Error} `listen tcp <addr>: bind: address already in use`, or the
 *   TLS library's error for unusable PEM material.
 */
export function listenTls(opts: TlsListenOptions): Promise<TlsListener> {
  const mutual = opts.clientCa !== undefined;
  const server = createServer({
    cert: opts.cert,
    key: opts.key,
    ...(mutual
      ? { ca: opts.clientCa, requestCert: true, rejectUnauthorized: true }
      : {}),
    handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
  });
  server.maxConnections = TLS_MAX_PENDING;
  const ready: Deno.Conn<Deno.NetAddr>[] = [];
  let waiting: {
    resolve: (c: Deno.Conn<Deno.NetAddr>) => void;
    reject: (e: Error) => void;
  } | undefined;
  let closed = false;
  server.on("secureConnection", (sock: TLSSocket) => {
    if (mutual && !sock.authorized) {
      sock.destroy();
      return;
    }
    const conn = new TlsSocketConn(sock) as unknown as Deno.Conn<Deno.NetAddr>;
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w.resolve(conn);
    } else ready.push(conn);
  });
  // Failed handshakes (no or wrong client certificate, not TLS at all)
  // end there; nothing reaches the HTTP server.
  server.on("tlsClientError", () => {});
  return new Promise((resolve, reject) => {
    server.once("error", (e: Error & { code?: string }) => {
      const where = opts.hostname.includes(":")
        ? `[${opts.hostname}]:${opts.port}`
        : `${opts.hostname}:${opts.port}`;
      reject(
        e.code === "EADDRINUSE"
          ? new Error(`listen tcp ${where}: bind: address already in use`, {
            cause: e,
          })
          : e,
      );
    });
    server.listen(opts.port, opts.hostname, () => {
      const a = server.address();
      const addr: Deno.NetAddr = {
        transport: "tcp",
        hostname: typeof a === "object" && a ? a.address : opts.hostname,
        port: typeof a === "object" && a ? a.port : opts.port,
      };
      resolve({
        addr,
        accept() {
          if (closed) {
            return Promise.reject(new Deno.errors.BadResource("closed"));
          }
          const c = ready.shift();
          if (c) return Promise.resolve(c);
          return new Promise((res, rej) =>
            waiting = { resolve: res, reject: rej }
          );
        },
        close() {
          if (closed) return;
          closed = true;
          server.close();
          for (const c of ready.splice(0)) c.close();
          waiting?.reject(new Deno.errors.BadResource("closed"));
          waiting = undefined;
        },
      });
    });
  });
}
