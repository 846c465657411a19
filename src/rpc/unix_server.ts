/**
 * The IPC endpoint: a Unix stream socket speaking geth's IPC framing
 * (external-api.md §1.1): the client writes a stream of JSON values, each a
 * request or a batch; every response is one JSON text plus `\n`. Requests on
 * a connection are served concurrently and answered as they finish.
 *
 * Socket creation (stave, daemon issue): a missing parent folder is created
 * `0700`; a socket file on which nobody answers (left by a crashed run) is
 * replaced, while one a live process answers on is refused with
 * {@linkcode SocketInUseError}. The socket is `0600` before it has its public
 * name: it is bound inside a fresh private (`0700`) folder next to the final
 * path, chmod-ed, then hard-linked into place (`link` never replaces an
 * existing name, so two daemons starting at once cannot steal each other's
 * socket; without hard links it is renamed into place). Only when the
 * temporary path would exceed `sun_path` (the final path is within 4 bytes
 * of the 108-byte limit) is the socket bound in place and chmod-ed at once,
 * a one-system-call window (`Deno.umask` would need `--allow-sys`).
 *
 * Memory is bounded per connection: one buffered JSON value at most
 * {@linkcode MAX_JSON_STREAM_VALUE_BYTES} (clef has no limit; a larger one is
 * answered -32700 `message too large: …` and the connection closed) and at
 * most {@linkcode MAX_IPC_INFLIGHT_PER_CONNECTION} requests being served or
 * written (beyond that the server stops reading from that connection until
 * one finishes: back-pressure, nothing is refused), and at most
 * {@linkcode MAX_IPC_CONNECTIONS} connections (clef: no cap). At the cap
 * the next client is accepted and held unread until a slot frees: the
 * connection idle the longest (no request being read, served or written),
 * if idle for at least {@linkcode IPC_REAP_IDLE_MS}, is closed for it;
 * otherwise it waits for one to close or go idle. That is the only idle
 * timeout on IPC: geth keeps its `--signer` connection open for its whole
 * life, idle between blocks, and its RPC client redials on the next call
 * when the server has closed it (`rpc/client.go`: a failed write clears
 * `writeConn`, and `write` then reconnects and retries once), so an idle
 * geth connection is closed only when more than the cap are wanted, and
 * only after every connection idle longer than it.
 *
 * A failed `accept` (no descriptors left) is logged and retried with a
 * backoff of 10 ms doubling to 1 s; the endpoint never stops answering
 * while the process runs.
 *
 * Differences from geth kept on purpose: when the client half-closes its
 * end, responses to requests already read are still written; a syntax error
 * stops reading, is answered at once, and the connection closes after the
 * requests read before it have been answered (geth waits for them too).
 *
 * @module
 */
import {
  JsonStreamDecoder,
  MAX_JSON_STREAM_VALUE_BYTES,
  stringifyJson,
} from "../json.ts";
import type { Metadata } from "../ui/ui.ts";
import type { RpcServer } from "./dispatch.ts";
import {
  acceptLoop,
  ConnectionLimiter,
  type LimitedConnection,
} from "./conn_limits.ts";

/** Requests served or being written per connection before reading pauses. */
export const MAX_IPC_INFLIGHT_PER_CONNECTION = 128;
/** Open IPC connections; a further one waits for a slot. */
export const MAX_IPC_CONNECTIONS = 128;
/** At the cap, a connection idle this long is closed for a new one. */
export const IPC_REAP_IDLE_MS = 10_000;
/** geth's `defaultWriteTimeout` for IPC responses. */
export const IPC_WRITE_TIMEOUT_MS = 10_000;
/** Linux `sun_path` size including the terminating NUL. */
const SUN_PATH_MAX = 108;
const READ_CHUNK = 64 * 1024;

/** Another process answers on the socket path: the daemon must not start. */
export class SocketInUseError extends Error {
  /** The socket path. */
  readonly path: string;
  /**
   * Creates the error for `path`.
   *
   * @param path The socket path.
   */
  constructor(path: string) {
    super(
      `${path}: another process is listening on this socket (is a signer already running?)`,
    );
    this.name = "SocketInUseError";
    this.path = path;
  }
}

/** Options for {@linkcode startIpcServer}. */
export interface IpcServerOptions {
  /** Default {@linkcode MAX_IPC_INFLIGHT_PER_CONNECTION}. */
  maxInflightPerConnection?: number;
  /** Largest single JSON value; default {@linkcode MAX_JSON_STREAM_VALUE_BYTES}. */
  maxMessageBytes?: number;
  /** Default {@linkcode MAX_IPC_CONNECTIONS}. */
  maxConnections?: number;
  /** Default {@linkcode IPC_REAP_IDLE_MS}. */
  reapIdleMs?: number;
  /** Default {@linkcode IPC_WRITE_TIMEOUT_MS}. */
  writeTimeoutMs?: number;
  /** Connection-level problems (never contains request content). */
  log?: (message: string) => void;
}

/** A running IPC endpoint. */
export interface IpcServer {
  /** The socket path. */
  readonly path: string;
  /** Connections currently open. */
  readonly connections: number;
  /**
   * Stops accepting, removes the socket file (if it is still ours), stops
   * reading requests, waits up to `graceMs` (default 10 s) for requests in
   * flight to be answered, then closes every connection.
   */
  close(opts?: { graceMs?: number }): Promise<void>;
}

const IPC_META: Metadata = {
  remote: "NA",
  local: "NA",
  scheme: "ipc",
  "User-Agent": "",
  Origin: "",
};

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  if (i < 0) return ".";
  if (i === 0) return "/";
  return path.slice(0, i);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Whether a process answers on the socket at `path`; a stale socket (or a
 * file that is not a socket) gives false.
 */
async function isLive(path: string): Promise<boolean> {
  try {
    const c = await Deno.connect({ transport: "unix", path });
    c.close();
    return true;
  } catch (e) {
    if (
      e instanceof Deno.errors.ConnectionRefused ||
      e instanceof Deno.errors.NotFound
    ) return false;
    throw e;
  }
}

/** Removes a stale file at `path`; refuses a live socket. */
async function clearStale(path: string): Promise<void> {
  if (!(await exists(path))) return;
  if (await isLive(path)) throw new SocketInUseError(path);
  try {
    await Deno.remove(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** Binds `path` with mode 0600 from the start; see the module doc. */
async function bindPrivate(path: string): Promise<Deno.UnixListener> {
  const parent = dirname(path);
  const rand = Array.from(
    crypto.getRandomValues(new Uint8Array(4)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  // A short private folder name keeps the temporary path only a few bytes
  // longer than the final one.
  const dir = `${parent}/.s${rand}`;
  const tmp = `${dir}/s`;
  if (utf8Length(tmp) < SUN_PATH_MAX) {
    await Deno.mkdir(dir, { mode: 0o700 });
    try {
      const listener = Deno.listen({ transport: "unix", path: tmp });
      try {
        await Deno.chmod(tmp, 0o600);
        for (let attempt = 0;; attempt++) {
          try {
            await Deno.link(tmp, path);
            return listener;
          } catch (e) {
            if (!(e instanceof Deno.errors.AlreadyExists)) break;
            if (attempt >= 3) throw new SocketInUseError(path);
            await clearStale(path);
          }
        }
        // No hard links on this file system: rename instead (this could
        // replace a socket created in the last instant by a rival start).
        await clearStale(path);
        await Deno.rename(tmp, path);
        return listener;
      } catch (e) {
        listener.close();
        throw e;
      }
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }
  // The path is within a few bytes of sun_path's limit: bind in place and
  // restrict at once (Deno.umask would need --allow-sys). The window is one
  // system call, and the parent folder is usually private already.
  const listener = Deno.listen({ transport: "unix", path });
  try {
    await Deno.chmod(path, 0o600);
  } catch (e) {
    listener.close();
    throw e;
  }
  return listener;
}

/**
 * Starts the IPC endpoint at `path`, serving `rpc`.
 *
 * @param path Socket path (`<configdir>/clef.ipc` or `<--ipcpath>/clef.ipc`).
 * @param rpc The JSON-RPC core.
 * @param opts Limits and logging.
 * @returns The running server.
 * @throws {SocketInUseError} A live process answers on `path`.
 * @throws {Deno.errors.PermissionDenied} Or other file-system errors.
 *
 * @example Usage
 * ```ts ignore
 * const ipc = await startIpcServer(`${configDir}/clef.ipc`, rpc);
 * await ipc.close();
 * ```
 */
export async function startIpcServer(
  path: string,
  rpc: RpcServer,
  opts: IpcServerOptions = {},
): Promise<IpcServer> {
  const maxInflight = opts.maxInflightPerConnection ??
    MAX_IPC_INFLIGHT_PER_CONNECTION;
  const maxConns = opts.maxConnections ?? MAX_IPC_CONNECTIONS;
  const writeTimeout = opts.writeTimeoutMs ?? IPC_WRITE_TIMEOUT_MS;
  const log = opts.log ?? ((m: string) => console.error(m));

  const parent = dirname(path);
  if (!(await exists(parent))) {
    await Deno.mkdir(parent, { recursive: true, mode: 0o700 });
    await Deno.chmod(parent, 0o700);
  }
  await clearStale(path);
  const listener = await bindPrivate(path);
  const ours = await Deno.lstat(path);

  const limiter = new ConnectionLimiter<Connection>({
    max: maxConns,
    reapIdleMs: opts.reapIdleMs ?? IPC_REAP_IDLE_MS,
    name: "IPC",
    log,
  });
  const stop = new AbortController();
  let closing = false;
  const accepting = acceptLoop(listener, (conn) => {
    limiter.add(
      new Connection(conn, rpc, {
        maxInflight,
        maxBytes: opts.maxMessageBytes ?? MAX_JSON_STREAM_VALUE_BYTES,
        writeTimeout,
        log,
        onIdle: () => limiter.notify(),
      }),
    );
  }, {
    signal: stop.signal,
    name: "IPC",
    log,
    admit: () => limiter.admit(stop.signal),
  });

  return {
    path,
    get connections() {
      return limiter.size;
    },
    async close({ graceMs = 10_000 } = {}) {
      if (closing) return;
      closing = true;
      stop.abort();
      listener.close();
      await accepting;
      const conns = limiter.all;
      // Unlink only the socket we created (a later daemon may own the name).
      try {
        const st = await Deno.lstat(path);
        if (st.ino === ours.ino && st.dev === ours.dev) await Deno.remove(path);
      } catch { /* already gone */ }
      for (const c of conns) c.stopReading();
      const deadline = new Promise<void>((r) => {
        const t = setTimeout(r, graceMs);
        Deno.unrefTimer(t);
      });
      await Promise.race([
        Promise.all([...conns].map((c) => c.idle())),
        deadline,
      ]);
      for (const c of conns) c.close();
      await Promise.all([...conns].map((c) => c.done));
    },
  };
}

interface ConnOptions {
  maxInflight: number;
  maxBytes: number;
  writeTimeout: number;
  log: (message: string) => void;
  onIdle: () => void;
}

const encoder = new TextEncoder();

/** One client connection: reader loop, concurrent calls, ordered writes. */
class Connection implements LimitedConnection {
  readonly done: Promise<void>;
  #conn: Deno.UnixConn;
  #decoder: JsonStreamDecoder;
  #lastActivity = performance.now();
  #rpc: RpcServer;
  #o: ConnOptions;
  #inflight = 0;
  #waiters: (() => void)[] = [];
  #writeChain: Promise<void> = Promise.resolve();
  #reading = true;
  #closed = false;

  constructor(conn: Deno.UnixConn, rpc: RpcServer, o: ConnOptions) {
    this.#conn = conn;
    this.#rpc = rpc;
    this.#o = o;
    this.#decoder = new JsonStreamDecoder({ maxValueBytes: o.maxBytes });
    this.done = this.#run();
  }

  idleSince(): number | undefined {
    if (this.#closed || this.#inflight > 0) return undefined;
    if (this.#decoder.bufferedBytes > 0) return undefined;
    return this.#lastActivity;
  }

  stopReading() {
    this.#reading = false;
    this.#wake();
  }

  /** Resolves when no request is being served or written. */
  async idle(): Promise<void> {
    while (this.#inflight > 0) {
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#reading = false;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    this.#wake();
  }

  #wake() {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  async #run(): Promise<void> {
    const decoder = this.#decoder;
    const buf = new Uint8Array(READ_CHUNK);
    try {
      while (this.#reading) {
        while (this.#inflight >= this.#o.maxInflight && this.#reading) {
          await new Promise<void>((r) => this.#waiters.push(r));
        }
        if (!this.#reading) break;
        let n: number | null;
        try {
          n = await this.#conn.read(buf);
        } catch {
          break; // reset by peer or closed by us
        }
        this.#lastActivity = performance.now();
        if (n === null) {
          // Half-closed by the client: a trailing top-level number is
          // complete; a cut value is dropped (geth: unexpected EOF).
          const { values } = decoder.end();
          for (const v of values) this.#serve(v);
          break;
        }
        let values: string[];
        try {
          values = decoder.push(buf.subarray(0, n));
        } catch (e) {
          if (!(e instanceof SyntaxError || e instanceof RangeError)) throw e;
          for (const v of (e as Error & { values?: string[] }).values ?? []) {
            this.#serve(v);
          }
          const msg = '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,' +
            `"message":${stringifyJson(e.message)}}}\n`;
          this.#inflight++;
          this.#write(msg);
          break;
        }
        if (!this.#reading) break;
        for (const v of values) this.#serve(v);
      }
      await this.idle();
    } catch (e) {
      this.#o.log(
        `IPC connection failed: ${e instanceof Error ? e.message : e}`,
      );
    } finally {
      this.close();
    }
  }

  #serve(text: string) {
    this.#inflight++;
    this.#rpc.handle(text, { transport: "ipc", meta: IPC_META }, {
      validated: true,
    }).then(
      (resp) => {
        if (resp === undefined) this.#release();
        else this.#write(resp + "\n");
      },
      (e) => {
        this.#o.log(
          `IPC request failed: ${e instanceof Error ? e.message : e}`,
        );
        this.#release();
      },
    );
  }

  #release() {
    this.#inflight--;
    this.#lastActivity = performance.now();
    this.#wake();
    if (this.#inflight === 0) this.#o.onIdle();
  }

  /** Queues one response; counts as in flight until written. */
  #write(text: string) {
    const bytes = encoder.encode(text);
    this.#writeChain = this.#writeChain.then(async () => {
      if (this.#closed) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error("write timeout")),
            this.#o.writeTimeout,
          );
        });
        let off = 0;
        while (off < bytes.length) {
          off += await Promise.race([
            this.#conn.write(bytes.subarray(off)),
            timedOut,
          ]);
        }
      } catch {
        // A client that stops reading (or vanished) loses its connection.
        this.close();
      } finally {
        clearTimeout(timer);
      }
    }).finally(() => this.#release());
  }
}
