/**
 * A small HTTP/1.x server over a TCP listener this process controls, with
 * the connection-level limits `Deno.serve` does not offer (it has no header
 * or idle timeout, no connection cap, no hook on a failed accept — and a
 * failed accept rejects its `finished` promise, which ends the process).
 *
 * What it does, following Go's `net/http` server as clef runs it:
 * - request head: at most {@linkcode HTTP_MAX_HEADER_BYTES} (else 431), read
 *   within the header timeout counted from accept (first request) or from
 *   the first byte (later requests); a connection that sends nothing is
 *   closed after the idle timeout between requests, or the header timeout
 *   before the first one;
 * - `Host` required on HTTP/1.1 and checked with Go's `ValidHostHeader`
 *   (else 400 `malformed Host header`); bodies by `Content-Length` or
 *   `chunked`; `Expect: 100-continue` answered when the body is first read;
 * - keep-alive by HTTP/1.1 default or HTTP/1.0 `Connection: keep-alive`;
 *   the connection closes after a response whose request body was not read
 *   to its end;
 * - every byte of a body beyond {@linkcode HTTP_BODY_FREE_BYTES} per request
 *   is taken from one budget shared by all requests
 *   ({@linkcode HTTP_BODY_BUDGET_BYTES}); a request that finds it empty
 *   stops reading its socket until bytes are returned (or its read timeout
 *   ends it), and returns them when its response is written.
 *
 * No TLS, no HTTP/2 (clef's server offers neither without TLS), no
 * response compression (optional for clients, external-api.md §1.2).
 *
 * @module
 */
import {
  acceptLoop,
  ConnectionLimiter,
  type LimitedConnection,
} from "./conn_limits.ts";

/** Go's `DefaultMaxHeaderBytes` plus the 4096 bytes of slack it allows. */
export const HTTP_MAX_HEADER_BYTES = (1 << 20) + 4096;
/** Body bytes a request may hold outside the shared budget. */
export const HTTP_BODY_FREE_BYTES = 64 * 1024;
/** Body bytes all requests together may hold beyond their free part. */
export const HTTP_BODY_BUDGET_BYTES = 32 * 1024 * 1024;

const READ_CHUNK = 64 * 1024;
const enc = new TextEncoder();

/** A request as the handler sees it. */
export interface Http1Request {
  /** `GET`, `POST`, … (case kept). */
  method: string;
  /** The request-target, e.g. `/` or `/path?x=1`. */
  target: string;
  /** `HTTP/1.0` or `HTTP/1.1`. */
  proto: string;
  /** Header fields, names lowercased, values as sent (Latin-1). */
  headers: Map<string, string>;
  /** Declared length, -1 for chunked, 0 without a body. */
  contentLength: number;
  /** The peer. */
  remoteAddr: Deno.NetAddr;
  /**
   * Reads the next piece of the body; null at its end. Throws
   * {@linkcode BodyReadError} (`timeout`, `io`, `syntax`).
   */
  read(): Promise<Uint8Array | null>;
}

/** A response to write. */
export interface Http1Response {
  /** Status code. */
  status: number;
  /** Header fields (Content-Length, Date and Connection are added). */
  headers: [string, string][];
  /** Body bytes or text. */
  body: Uint8Array | string;
}

/** Why a body could not be read. */
export class BodyReadError extends Error {
  /** `timeout` (deadline passed), `io` (socket error), `syntax` (bad chunk). */
  readonly kind: "timeout" | "io" | "syntax";
  /**
   * Creates the error.
   *
   * @param kind What went wrong.
   * @param message Details.
   */
  constructor(kind: "timeout" | "io" | "syntax", message: string) {
    super(message);
    this.name = "BodyReadError";
    this.kind = kind;
  }
}

/** The shared budget for body bytes (FIFO waiters). */
export class BodyBudget {
  #free: number;
  #waiters: { n: number; resolve: () => void }[] = [];

  /**
   * Creates a budget.
   *
   * @param bytes Capacity.
   */
  constructor(bytes: number) {
    this.#free = bytes;
  }

  /** Bytes not taken. */
  get available(): number {
    return this.#free;
  }

  /**
   * Takes `n` bytes, waiting until they are free (in arrival order).
   *
   * @param n Bytes wanted.
   * @param signal Gives up (rejects) when aborted.
   */
  take(n: number, signal: AbortSignal): Promise<void> {
    if (this.#waiters.length === 0 && this.#free >= n) {
      this.#free -= n;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const w = {
        n,
        resolve: () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1);
        this.#drain();
        reject(new BodyReadError("timeout", "read timeout"));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(w);
    });
  }

  /**
   * Returns `n` bytes.
   *
   * @param n Bytes taken earlier.
   */
  give(n: number): void {
    this.#free += n;
    this.#drain();
  }

  #drain() {
    while (this.#waiters.length > 0 && this.#waiters[0].n <= this.#free) {
      const w = this.#waiters.shift()!;
      this.#free -= w.n;
      w.resolve();
    }
  }
}

/** Options for {@linkcode serveHttp1}. */
export interface Http1Options {
  /** Open connections allowed (then the longest-idle one is closed). */
  maxConnections: number;
  /** A keep-alive connection idle this long may be closed at the cap. */
  reapIdleMs: number;
  /** Time to receive a request head. */
  headerTimeoutMs: number;
  /** Time a keep-alive connection may wait for its next request. */
  idleTimeoutMs: number;
  /** Time to read a request body, from the first read. */
  readTimeoutMs: number;
  /** Time to write a response. */
  writeTimeoutMs: number;
  /** Shared body budget. */
  budget: BodyBudget;
  /** Connection-level problems (never request content). */
  log: (message: string) => void;
}

/** The handler: one request in, one response out (must not throw). */
export type Http1Handler = (req: Http1Request) => Promise<Http1Response>;

const STATUS_TEXT: Record<number, string> = {
  100: "Continue",
  200: "OK",
  400: "Bad Request",
  403: "Forbidden",
  405: "Method Not Allowed",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  417: "Expectation Failed",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  505: "HTTP Version Not Supported",
};

/** Go's `httpguts.ValidHostHeader` byte set. */
const VALID_HOST = /^[0-9A-Za-z!$%&'()*+,\-.:;=\[\]_~]*$/;
/** RFC 9110 token (header names, methods). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A request Go's server refuses before any handler (its `statusError`). */
class HeadError extends Error {
  constructor(readonly status: number, readonly detail = "") {
    super(detail);
  }
}

function httpDate(): string {
  return new Date().toUTCString();
}

/** One client connection. */
export class Http1Connection implements LimitedConnection {
  readonly done: Promise<void>;
  #conn: Deno.Conn<Deno.NetAddr>;
  #handler: Http1Handler;
  #o: Http1Options;
  #onIdle: () => void;
  #buf = new Uint8Array(0);
  #idleSince: number | undefined = performance.now();
  #headSince: number | undefined;
  #closed = false;

  constructor(
    conn: Deno.Conn<Deno.NetAddr>,
    handler: Http1Handler,
    o: Http1Options,
    onIdle: () => void,
  ) {
    this.#conn = conn;
    this.#handler = handler;
    this.#o = o;
    this.#onIdle = onIdle;
    this.done = this.#run();
  }

  /**
   * Idle (waiting for a request) or still receiving a request head: at the
   * cap both may be closed, a head that takes a second being a slow-loris
   * client, not a real one.
   */
  idleSince(): number | undefined {
    return this.#idleSince ?? this.#headSince;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }

  /** Reads more bytes into the buffer; false at EOF or on error. */
  async #fill(deadline: Promise<"timeout">): Promise<boolean | "timeout"> {
    const chunk = new Uint8Array(READ_CHUNK);
    let n: number | null | "timeout";
    try {
      n = await Promise.race([this.#conn.read(chunk), deadline]);
    } catch {
      return false;
    }
    if (n === "timeout") return "timeout";
    if (n === null) return false;
    const next = new Uint8Array(this.#buf.length + n);
    next.set(this.#buf);
    next.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = next;
    return true;
  }

  async #run(): Promise<void> {
    let first = true;
    try {
      while (!this.#closed) {
        // The first request's head must arrive within the header timeout
        // of accept; later ones within it of their first byte, after an
        // idle wait of at most the idle timeout.
        let head = first ? timer(this.#o.headerTimeoutMs) : undefined;
        if (this.#buf.length === 0) {
          this.#idleSince = performance.now();
          this.#onIdle();
          const idle = head ?? timer(this.#o.idleTimeoutMs);
          const r = await this.#fill(idle.promise);
          if (head === undefined) idle.cancel();
          if (r !== true) {
            head?.cancel();
            break;
          }
        }
        this.#headSince = performance.now();
        this.#idleSince = undefined;
        head ??= timer(this.#o.headerTimeoutMs);
        first = false;
        const keep = await this.#serveOne(head);
        if (!keep) break;
      }
    } catch (e) {
      this.#o.log(
        `HTTP connection failed: ${e instanceof Error ? e.message : e}`,
      );
    } finally {
      this.close();
    }
  }

  /** Reads, serves and answers one request; true to keep the connection. */
  async #serveOne(
    t: { promise: Promise<"timeout">; cancel(): void },
  ): Promise<boolean> {
    let headEnd: number;
    try {
      for (;;) {
        headEnd = indexOfCrlfCrlf(this.#buf);
        if (headEnd >= 0) break;
        if (this.#buf.length > HTTP_MAX_HEADER_BYTES) {
          await this.#writeError(431);
          return false;
        }
        const r = await this.#fill(t.promise);
        if (r !== true) return false; // EOF, error or header timeout
      }
    } finally {
      t.cancel();
    }
    if (headEnd > HTTP_MAX_HEADER_BYTES) {
      await this.#writeError(431);
      return false;
    }
    this.#headSince = undefined;
    const headText = latin1(this.#buf.subarray(0, headEnd));
    this.#buf = this.#buf.slice(headEnd + 4);
    let head: ParsedHead;
    try {
      head = parseHead(headText);
    } catch (e) {
      if (!(e instanceof HeadError)) throw e;
      await this.#writeError(e.status, e.detail);
      return false;
    }
    const body = new BodyState(this, head, this.#o);
    const req: Http1Request = {
      method: head.method,
      target: head.target,
      proto: head.proto,
      headers: head.headers,
      contentLength: head.contentLength,
      remoteAddr: this.#conn.remoteAddr,
      read: () => body.read(),
    };
    let resp: Http1Response;
    try {
      resp = await this.#handler(req);
      // As Go: up to 256 KiB left unread are drained to keep the
      // connection; more, and it is closed after the response.
      if (head.keepAlive) await body.drain(256 * 1024);
    } finally {
      body.stop();
    }
    const keep = head.keepAlive && body.complete && !this.#closed;
    try {
      await this.#writeResponse(resp, head, keep);
    } finally {
      body.release();
    }
    return keep;
  }

  /** Used by {@linkcode BodyState}: buffered bytes first, then the socket. */
  async nextBytes(
    max: number,
    deadline: Promise<"timeout">,
  ): Promise<Uint8Array | null> {
    if (this.#buf.length === 0) {
      const r = await this.#fill(deadline);
      if (r === "timeout") throw new BodyReadError("timeout", "read timeout");
      if (r === false) {
        if (this.#closed) throw new BodyReadError("io", "connection closed");
        return null;
      }
    }
    const n = Math.min(max, this.#buf.length);
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }

  /** Puts bytes back in front of the buffer (chunked parsing). */
  unread(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const next = new Uint8Array(bytes.length + this.#buf.length);
    next.set(bytes);
    next.set(this.#buf, bytes.length);
    this.#buf = next;
  }

  async writeRaw(bytes: Uint8Array): Promise<boolean> {
    const t = timer(this.#o.writeTimeoutMs);
    try {
      let off = 0;
      while (off < bytes.length) {
        const n = await Promise.race([
          this.#conn.write(bytes.subarray(off)),
          t.promise,
        ]);
        if (n === "timeout") throw new Error("write timeout");
        off += n;
      }
      return true;
    } catch {
      this.close();
      return false;
    } finally {
      t.cancel();
    }
  }

  /** Go's answers to a refused request head, byte for byte; then close. */
  #writeError(status: number, detail = ""): Promise<boolean> {
    const text = `${status} ${STATUS_TEXT[status]}`;
    const headers =
      "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n";
    let out: string;
    if (status === 501) {
      out = `HTTP/1.1 ${text}${headers}Unsupported transfer encoding`;
    } else if (status === 417) {
      out = `HTTP/1.1 ${text}\r\nConnection: close\r\nContent-Length: 0\r\n` +
        `Date: ${httpDate()}\r\n\r\n`;
    } else {
      const pub = detail === "" ? text : `${text}: ${detail}`;
      out = `HTTP/1.1 ${pub}${headers}${pub}`;
    }
    return this.writeRaw(enc.encode(out));
  }

  async #writeResponse(
    resp: Http1Response,
    head: ParsedHead,
    keep: boolean,
  ): Promise<void> {
    const body = typeof resp.body === "string"
      ? enc.encode(resp.body)
      : resp.body;
    // Go answers in the request's version (HTTP/1.0 or HTTP/1.1).
    let text = `${head.proto} ${resp.status} ${
      STATUS_TEXT[resp.status] ?? ""
    }\r\n`;
    for (const [k, v] of resp.headers) text += `${k}: ${v}\r\n`;
    text += `Date: ${httpDate()}\r\nContent-Length: ${body.length}\r\n`;
    if (!keep) text += "Connection: close\r\n";
    else if (head.proto === "HTTP/1.0") text += "Connection: keep-alive\r\n";
    text += "\r\n";
    const headBytes = enc.encode(text);
    const out = new Uint8Array(
      headBytes.length + (head.method === "HEAD" ? 0 : body.length),
    );
    out.set(headBytes);
    if (head.method !== "HEAD") out.set(body, headBytes.length);
    await this.writeRaw(out);
  }
}

interface ParsedHead {
  method: string;
  target: string;
  proto: string;
  headers: Map<string, string>;
  contentLength: number;
  chunked: boolean;
  keepAlive: boolean;
  expectContinue: boolean;
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, i + 8192));
  }
  return s;
}

function indexOfCrlfCrlf(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (
      b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10
    ) return i;
  }
  return -1;
}

/** Parses the request line and header fields as Go's `readRequest`. */
function parseHead(text: string): ParsedHead {
  const lines = text.split("\r\n");
  const reqLine = lines[0];
  const parts = reqLine.split(" ");
  if (parts.length !== 3 || !TOKEN.test(parts[0]) || parts[1] === "") {
    throw new HeadError(400);
  }
  const [method, target, proto] = parts;
  // Go's url.ParseRequestURI: origin-form, absolute-form or "*".
  if (
    !target.startsWith("/") && target !== "*" &&
    !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(target)
  ) {
    throw new HeadError(400);
  }
  if (proto !== "HTTP/1.1" && proto !== "HTTP/1.0") {
    throw new HeadError(505, "unsupported protocol version");
  }
  const headers = new Map<string, string>();
  const hosts: string[] = [];
  const lengths: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith(" ") || line.startsWith("\t")) {
      throw new HeadError(400);
    }
    const c = line.indexOf(":");
    if (c <= 0) throw new HeadError(400);
    const name = line.slice(0, c).toLowerCase();
    if (!TOKEN.test(name)) throw new HeadError(400, "invalid header name");
    const value = line.slice(c + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    // deno-lint-ignore no-control-regex
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) {
      throw new HeadError(400, "invalid header value");
    }
    if (name === "host") hosts.push(value);
    if (name === "content-length") lengths.push(value);
    const prev = headers.get(name);
    headers.set(name, prev === undefined ? value : `${prev}, ${value}`);
  }
  if (hosts.length > 1) throw new HeadError(400);
  if (proto === "HTTP/1.1" && hosts.length === 0) {
    throw new HeadError(400, "missing required Host header");
  }
  if (hosts.length === 1 && !VALID_HOST.test(hosts[0])) {
    throw new HeadError(400, "malformed Host header");
  }
  const te = headers.get("transfer-encoding");
  let chunked = false;
  if (te !== undefined) {
    if (proto === "HTTP/1.0") {
      // Go ignores Transfer-Encoding on HTTP/1.0.
    } else if (te.toLowerCase() !== "chunked") {
      throw new HeadError(501);
    } else chunked = true;
  }
  let contentLength = 0;
  if (chunked) {
    contentLength = -1;
  } else if (lengths.length > 0) {
    const all = lengths.flatMap((l) => l.split(",").map((p) => p.trim()));
    if (all.some((p) => p !== all[0])) {
      throw new HeadError(400);
    }
    if (!/^\d{1,15}$/.test(all[0])) {
      throw new HeadError(400);
    }
    contentLength = Number(all[0]);
  }
  const conn = (headers.get("connection") ?? "").toLowerCase().split(",").map(
    (s) => s.trim(),
  );
  const keepAlive = proto === "HTTP/1.1"
    ? !conn.includes("close")
    : conn.includes("keep-alive");
  const expect = headers.get("expect");
  let expectContinue = false;
  if (expect !== undefined) {
    if (expect.toLowerCase() === "100-continue" && proto === "HTTP/1.1") {
      expectContinue = true;
    } else if (expect !== "") {
      throw new HeadError(417);
    }
  }
  return {
    method,
    target,
    proto,
    headers,
    contentLength,
    chunked,
    keepAlive,
    expectContinue,
  };
}

function timer(ms: number): { promise: Promise<"timeout">; cancel(): void } {
  let t: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<"timeout">((resolve) => {
    t = setTimeout(() => resolve("timeout"), ms);
  });
  return { promise, cancel: () => clearTimeout(t) };
}

/** The body of one request: framing, deadline and budget. */
class BodyState {
  complete: boolean;
  #c: Http1Connection;
  #head: ParsedHead;
  #o: Http1Options;
  #left: number; // bytes left in the body (length) or in the chunk
  #ended = false;
  #stopped = false;
  #started = false;
  #deadline: { promise: Promise<"timeout">; cancel(): void } | undefined;
  #abort = new AbortController();
  #held = 0;
  #taken = 0;

  constructor(c: Http1Connection, head: ParsedHead, o: Http1Options) {
    this.#c = c;
    this.#head = head;
    this.#o = o;
    this.#left = head.chunked ? 0 : head.contentLength;
    this.complete = !head.chunked && head.contentLength === 0;
    this.#ended = this.complete;
  }

  async read(): Promise<Uint8Array | null> {
    if (this.#stopped) throw new BodyReadError("io", "body closed");
    if (this.#ended) return null;
    if (!this.#started) {
      this.#started = true;
      this.#deadline = timer(this.#o.readTimeoutMs);
      this.#deadline.promise.then(() => this.#abort.abort());
      if (this.#head.expectContinue) {
        await this.#c.writeRaw(enc.encode("HTTP/1.1 100 Continue\r\n\r\n"));
      }
    }
    const deadline = this.#deadline!.promise;
    if (this.#head.chunked && this.#left === 0) {
      const size = await this.#chunkHeader(deadline);
      if (size === 0) {
        await this.#trailers(deadline);
        this.#ended = true;
        this.complete = true;
        return null;
      }
      this.#left = size;
    }
    const bytes = await this.#c.nextBytes(
      Math.min(this.#left, READ_CHUNK),
      deadline,
    );
    if (bytes === null) {
      this.#ended = true; // cut short: the connection is not reused
      return null;
    }
    this.#left -= bytes.length;
    await this.#charge(bytes.length);
    if (this.#left === 0) {
      if (this.#head.chunked) {
        const crlf = await this.#line(deadline);
        if (crlf !== "") {
          throw new BodyReadError("syntax", "malformed chunked encoding");
        }
      } else {
        this.#ended = true;
        this.complete = true;
      }
    }
    return bytes;
  }

  async #charge(n: number) {
    const free = Math.max(0, HTTP_BODY_FREE_BYTES - this.#held);
    this.#held += n;
    const need = n - Math.min(free, n);
    if (need > 0) {
      await this.#o.budget.take(need, this.#abort.signal);
      this.#taken += need;
    }
  }

  /** Reads one CRLF-terminated line (at most 4 KiB). */
  async #line(deadline: Promise<"timeout">): Promise<string> {
    let acc = new Uint8Array(0);
    for (;;) {
      const b = await this.#c.nextBytes(4096, deadline);
      if (b === null) {
        throw new BodyReadError("syntax", "unexpected EOF in chunked body");
      }
      const joined = new Uint8Array(acc.length + b.length);
      joined.set(acc);
      joined.set(b, acc.length);
      const i = joined.indexOf(10);
      if (i >= 0) {
        this.#c.unread(joined.subarray(i + 1));
        if (i === 0 || joined[i - 1] !== 13) {
          throw new BodyReadError("syntax", "malformed chunked encoding");
        }
        return latin1(joined.subarray(0, i - 1));
      }
      if (joined.length > 4096) {
        throw new BodyReadError("syntax", "chunk header too long");
      }
      acc = joined;
    }
  }

  async #chunkHeader(deadline: Promise<"timeout">): Promise<number> {
    const line = await this.#line(deadline);
    const size = line.split(";")[0].trim();
    if (!/^[0-9a-fA-F]{1,15}$/.test(size)) {
      throw new BodyReadError("syntax", "invalid chunk length");
    }
    return parseInt(size, 16);
  }

  async #trailers(deadline: Promise<"timeout">): Promise<void> {
    for (let n = 0;; n++) {
      if (n > 100) throw new BodyReadError("syntax", "too many trailers");
      if ((await this.#line(deadline)) === "") return;
    }
  }

  /** Reads and drops the rest of the body if it is at most `max` bytes. */
  async drain(max: number): Promise<void> {
    if (this.#ended || this.#stopped) return;
    if (!this.#head.chunked && this.#left > max) return;
    let n = 0;
    try {
      for (;;) {
        const b = await this.read();
        if (b === null) return;
        n += b.length;
        if (n > max) return;
      }
    } catch {
      // Not reusable: `complete` stays false.
    }
  }

  /** The handler is done reading. */
  stop() {
    this.#stopped = true;
    this.#deadline?.cancel();
  }

  /** The response is written: the budget is returned. */
  release() {
    this.#abort.abort();
    if (this.#taken > 0) this.#o.budget.give(this.#taken);
    this.#taken = 0;
  }
}

/** What the server needs of a listener (TCP, or TLS from tls_listener.ts). */
export interface AcceptingListener {
  /** The next connection. */
  accept(): Promise<Deno.Conn<Deno.NetAddr>>;
  /** Stops listening. */
  close(): void;
}

/** A running HTTP/1 server. */
export interface Http1Server {
  /** Open connections. */
  readonly connections: number;
  /** Stops accepting, closes idle connections, waits for the rest. */
  close(graceMs: number): Promise<void>;
}

/**
 * Serves `handler` on `listener` until closed.
 *
 * @param listener A TCP listener (ownership passes to the server).
 * @param handler Answers one request.
 * @param opts Limits and logging.
 * @returns The running server.
 */
export function serveHttp1(
  listener: AcceptingListener,
  handler: Http1Handler,
  opts: Http1Options,
): Http1Server {
  const limiter = new ConnectionLimiter<Http1Connection>({
    max: opts.maxConnections,
    reapIdleMs: opts.reapIdleMs,
    name: "HTTP",
    log: opts.log,
  });
  const ac = new AbortController();
  const accepting = acceptLoopFor(listener, limiter, handler, opts, ac.signal);
  return {
    get connections() {
      return limiter.size;
    },
    async close(graceMs: number) {
      if (ac.signal.aborted) return;
      ac.abort();
      try {
        listener.close();
      } catch { /* closed */ }
      await accepting;
      const deadline = timer(graceMs);
      const sweep = setInterval(() => {
        for (const c of limiter.all) if (c.idleSince() !== undefined) c.close();
      }, 50);
      for (const c of limiter.all) if (c.idleSince() !== undefined) c.close();
      await Promise.race([
        Promise.all(limiter.all.map((c) => c.done)),
        deadline.promise,
      ]);
      clearInterval(sweep);
      deadline.cancel();
      for (const c of limiter.all) c.close();
      await Promise.all(limiter.all.map((c) => c.done));
    },
  };
}

async function acceptLoopFor(
  listener: AcceptingListener,
  limiter: ConnectionLimiter<Http1Connection>,
  handler: Http1Handler,
  opts: Http1Options,
  signal: AbortSignal,
): Promise<void> {
  await acceptLoop(listener, (conn) => {
    limiter.add(
      new Http1Connection(conn, handler, opts, () => limiter.notify()),
    );
  }, {
    signal,
    name: "HTTP",
    log: opts.log,
    admit: () => limiter.admit(signal),
  });
}
