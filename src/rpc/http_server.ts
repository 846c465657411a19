/**
 * The HTTP endpoint (`--http`), with clef's handler stack (external-api.md
 * §1.2; go-ethereum `node/rpcstack.go`, `rpc/http.go`): virtual-host check,
 * no CORS, then geth's `ServeHTTP` rules — health `GET`, 405, 413, 415,
 * one JSON value per body read through a 5 MiB limit, 200 with an empty
 * body when there is nothing to answer, `parse error` for bad JSON, and a
 * 29.9 s deadline per call (-32002 `request timed out`).
 *
 * HTTP/1.x is served by `./http1.ts` on a listener of our own rather than
 * by `Deno.serve`, which has no header or idle timeout, no connection cap
 * and ends the process when `accept` fails for lack of descriptors. The
 * bounds, with Go's `http.Server` values where clef has one:
 * - {@linkcode HTTP_MAX_CONNECTIONS} connections (Go: none); at the cap one
 *   keep-alive connection idle for {@linkcode HTTP_REAP_IDLE_MS} is closed
 *   for a new one, else the new one waits;
 * - request head within {@linkcode HTTP_HEADER_TIMEOUT_MS} (Go's
 *   `ReadHeaderTimeout`), at most 1 MiB + 4 KiB (431 beyond);
 * - keep-alive connections closed after {@linkcode HTTP_IDLE_TIMEOUT_MS}
 *   without a request (Go's `IdleTimeout`);
 * - body read within {@linkcode HTTP_READ_TIMEOUT_MS} (answered -32700
 *   `read timeout`, geth's `messageForReadError`), 5 MiB per request, and
 *   all bodies in flight share one budget (`HTTP_BODY_BUDGET_BYTES`);
 * - a failed `accept` is logged and retried with backoff.
 *
 * Responses are never compressed (geth gzips when asked; clients accept
 * identity, external-api.md §1.2).
 *
 * @module
 */
import { JsonStreamDecoder } from "../json.ts";
import { parseMediaType } from "../signing/content_type.ts";
import type { Metadata } from "../ui/ui.ts";
import { HTTP_REQUEST_TIMEOUT_MS, type RpcServer } from "./dispatch.ts";
import { listenTls } from "./tls_listener.ts";
import {
  type AcceptingListener,
  BodyBudget,
  BodyReadError,
  type Http1Request,
  type Http1Response,
  type Http1Server,
  HTTP_BODY_BUDGET_BYTES,
  HTTP_BODY_FREE_BYTES,
  serveHttp1,
} from "./http1.ts";

/** geth's `defaultBodyLimit`: 5 MiB. */
export const HTTP_BODY_LIMIT = 5 * 1024 * 1024;
/** Time allowed to read a request body (Go's `ReadTimeout`: 30 s). */
export const HTTP_READ_TIMEOUT_MS = 30_000;
/** Time allowed to receive a request head (Go's `ReadHeaderTimeout`). */
export const HTTP_HEADER_TIMEOUT_MS = 30_000;
/** Keep-alive wait for the next request (Go's `IdleTimeout`). */
export const HTTP_IDLE_TIMEOUT_MS = 120_000;
/** Time allowed to write a response (Go's `WriteTimeout`). */
export const HTTP_WRITE_TIMEOUT_MS = 30_000;
/** Open HTTP connections (Go has no cap; a descriptor limit of 1024 does). */
export const HTTP_MAX_CONNECTIONS = 256;
/** At the cap, a keep-alive connection idle this long makes room. */
export const HTTP_REAP_IDLE_MS = 1_000;
/** `--http.addr` default. */
export const DEFAULT_HTTP_HOST = "localhost";
/** `--http.port` default. */
export const DEFAULT_HTTP_PORT = 8550;

const ACCEPTED_CONTENT_TYPES = [
  "application/json",
  "application/json-rpc",
  "application/jsonrequest",
];

/** Options for {@linkcode startHttpServer}. */
export interface HttpServerOptions {
  /** Listen host (`--http.addr`, default `localhost`). */
  host?: string;
  /**
   * HTTPS (`--http.tls.cert`/`--http.tls.key`, PEM text), and with
   * `clientCa` mutual TLS (`--http.tls.clientca`).
   */
  tls?: { cert: string; key: string; clientCa?: string };
  /** Listen port (`--http.port`, default 8550; 0 picks a free port). */
  port?: number;
  /** `--http.vhosts` (default `["localhost"]`; `*` allows any). */
  vhosts?: string[];
  /** Body limit in bytes (default {@linkcode HTTP_BODY_LIMIT}). */
  bodyLimit?: number;
  /** Per-call deadline (default {@linkcode HTTP_REQUEST_TIMEOUT_MS}). */
  requestTimeoutMs?: number;
  /** Body read deadline (default {@linkcode HTTP_READ_TIMEOUT_MS}). */
  readTimeoutMs?: number;
  /** Batch item limit passed to the dispatcher (default 1000). */
  batchItemLimit?: number;
  /** Batch response size limit passed to the dispatcher (default 25 MB). */
  batchResponseMaxSize?: number;
  /** Default {@linkcode HTTP_HEADER_TIMEOUT_MS}. */
  headerTimeoutMs?: number;
  /** Default {@linkcode HTTP_IDLE_TIMEOUT_MS}. */
  idleTimeoutMs?: number;
  /** Default {@linkcode HTTP_WRITE_TIMEOUT_MS}. */
  writeTimeoutMs?: number;
  /** Default {@linkcode HTTP_MAX_CONNECTIONS}. */
  maxConnections?: number;
  /** Default {@linkcode HTTP_REAP_IDLE_MS}. */
  reapIdleMs?: number;
  /**
   * Shared body budget in bytes (default 32 MiB; at least the body limit
   * less the 64 KiB every request has outside it).
   */
  bodyBudgetBytes?: number;
  /** Connection-level problems (never request content); default stderr. */
  log?: (message: string) => void;
}

/** A running HTTP endpoint. */
export interface HttpServer {
  /** The actual listen address as Go prints it, e.g. `127.0.0.1:8550`. */
  readonly addr: string;
  /** `http://<addr>/` (clef's `extapi_http`). */
  readonly url: string;
  /** Open connections. */
  readonly connections: number;
  /**
   * Stops accepting and waits up to `graceMs` (default 10 s) for requests
   * in flight (each ends by its 29.9 s deadline at the latest).
   */
  close(opts?: { graceMs?: number }): Promise<void>;
}

/** Go's `net.JoinHostPort`. */
function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's `net.SplitHostPort` host part, or undefined on error. */
function splitHost(hostport: string): string | undefined {
  if (hostport.startsWith("[")) {
    const end = hostport.indexOf("]");
    if (end < 0 || hostport[end + 1] !== ":") return undefined;
    const host = hostport.slice(1, end);
    if (hostport.slice(end + 2).includes(":")) return undefined;
    return host;
  }
  const i = hostport.lastIndexOf(":");
  if (i < 0 || hostport.indexOf(":") !== i) return undefined;
  if (hostport.slice(0, i).includes("[") || hostport.includes("]")) {
    return undefined;
  }
  return hostport.slice(0, i);
}

/** Go's `net.ParseIP(s) != nil` (no zones, no leading zeros in IPv4). */
function isIp(s: string): boolean {
  if (
    /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
      .test(s)
  ) {
    return true;
  }
  if (!s.includes(":") || !/^[0-9a-fA-F:.]+$/.test(s)) return false;
  try {
    new URL(`http://[${s}]/`);
    return true;
  } catch {
    return false;
  }
}

/**
 * geth's `virtualHostHandler` decision for a `Host` header value.
 *
 * @param host The `Host` header (may be empty).
 * @param vhosts Allowed names, lowercased.
 * @returns Whether the request may proceed.
 *
 * @example Usage
 * ```ts
 * import { isAllowedHost } from "./http_server.ts";
 * import { strictEqual } from "node:assert/strict";
 * const v = new Set(["localhost"]);
 * strictEqual(isAllowedHost("localhost:8550", v), true);
 * strictEqual(isAllowedHost("LOCALHOST:8550", v), false);
 * strictEqual(isAllowedHost("10.0.0.1:8550", v), true);
 * strictEqual(isAllowedHost("evil.example", v), false);
 * ```
 */
export function isAllowedHost(host: string, vhosts: Set<string>): boolean {
  if (host === "") return true;
  // As geth: the vhost list is lowercased, the request's host is not.
  const name = splitHost(host) ?? host;
  if (isIp(name)) return true;
  return vhosts.has("*") || vhosts.has(name);
}

/** Go's `http.Error`. */
function httpError(message: string, status: number): Http1Response {
  return {
    status,
    headers: [
      ["Content-Type", "text/plain; charset=utf-8"],
      ["X-Content-Type-Options", "nosniff"],
    ],
    body: message + "\n",
  };
}

/**
 * geth's HTTP codec writes answers with `json.Encoder` (a trailing "\n"),
 * but its "error responses" (parse errors, empty and too large batches,
 * timeouts) with `json.Marshal` (no newline).
 */
function answerBody(text: string): string {
  const errorWrite = text.includes(
    '"error":{"code":-32002,"message":"request timed out"}}',
  ) ||
    /^\[?\{"jsonrpc":"2\.0","id":[^\n]*,"error":\{"code":-32600,"message":"(empty batch|batch too large)"\}\}\]?$/
      .test(text);
  return errorWrite ? text : text + "\n";
}

function jsonResponse(body: string | null): Http1Response {
  return {
    status: 200,
    headers: [["Content-Type", "application/json"]],
    body: body ?? "",
  };
}

type BodyResult =
  | { kind: "value"; text: string }
  | { kind: "empty" }
  | { kind: "error"; message: string };

/**
 * Reads the first JSON value of the body through the limit, as geth's
 * `json.Decoder` over `io.LimitReader`: bytes after the first value are
 * ignored, a value cut by the limit or the end is a parse error.
 */
async function readFirstValue(
  req: Http1Request,
  limit: number,
): Promise<BodyResult> {
  const decoder = new JsonStreamDecoder({ maxValueBytes: limit + 1 });
  let total = 0;
  try {
    for (;;) {
      let chunk = await req.read();
      if (chunk !== null) {
        let cut = false;
        if (total + chunk.length > limit) {
          chunk = chunk.subarray(0, limit - total);
          cut = true;
        }
        total += chunk.length;
        try {
          const values = decoder.push(chunk);
          if (values.length > 0) return { kind: "value", text: values[0] };
        } catch (e) {
          const values = (e as Error & { values?: string[] }).values ?? [];
          if (values.length > 0) return { kind: "value", text: values[0] };
          return { kind: "error", message: "parse error" };
        }
        if (!cut) continue;
      }
      const { values, truncated } = decoder.end();
      if (values.length > 0) return { kind: "value", text: values[0] };
      return truncated
        ? { kind: "error", message: "parse error" }
        : { kind: "empty" };
    }
  } catch (e) {
    if (!(e instanceof BodyReadError)) throw e;
    // geth's messageForReadError: net errors are "read timeout" or
    // "read error", anything else (a bad chunk) a parse error.
    const message = e.kind === "timeout"
      ? "read timeout"
      : e.kind === "io"
      ? "read error"
      : "parse error";
    return { kind: "error", message };
  }
}

/** The `Host` Go's server sets: the URL's for an absolute-form target. */
function requestHost(req: Http1Request): string {
  if (/^https?:\/\//i.test(req.target)) {
    const rest = req.target.replace(/^https?:\/\//i, "");
    const end = rest.search(/[/?#]/);
    const authority = end < 0 ? rest : rest.slice(0, end);
    return authority.slice(authority.lastIndexOf("@") + 1);
  }
  return req.headers.get("host") ?? "";
}

/**
 * Builds the request handler (exported for in-process tests).
 *
 * @param rpc The JSON-RPC core.
 * @param opts Limits and vhosts.
 * @returns A handler for {@linkcode serveHttp1}.
 */
export function httpHandler(
  rpc: RpcServer,
  opts: HttpServerOptions = {},
): (req: Http1Request) => Promise<Http1Response> {
  const vhosts = new Set(
    (opts.vhosts ?? ["localhost"]).map((h) => h.toLowerCase()),
  );
  const limit = opts.bodyLimit ?? HTTP_BODY_LIMIT;
  return async (req) => {
    const host = requestHost(req);
    if (!isAllowedHost(host, vhosts)) {
      return httpError("invalid host specified", 403);
    }
    const q = req.target.indexOf("?");
    const query = q < 0 ? "" : req.target.slice(q + 1).replace(/#.*/, "");
    const contentLength = req.contentLength;
    if (req.method === "GET" && contentLength === 0 && query === "") {
      return { status: 200, headers: [], body: "" };
    }
    if (req.method === "PUT" || req.method === "DELETE") {
      return httpError("method not allowed", 405);
    }
    if (contentLength > limit) {
      return httpError(
        `content length too large (${contentLength}>${limit})`,
        413,
      );
    }
    if (req.method !== "OPTIONS") {
      let mt: string | undefined;
      try {
        mt = parseMediaType(req.headers.get("content-type") ?? "");
      } catch {
        mt = undefined;
      }
      if (mt === undefined || !ACCEPTED_CONTENT_TYPES.includes(mt)) {
        return httpError(
          "invalid content type, only application/json is supported",
          415,
        );
      }
    }
    const body = await readFirstValue(req, limit);
    if (body.kind === "empty") return jsonResponse(null);
    if (body.kind === "error") {
      return jsonResponse(
        `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"${body.message}"}}`,
      );
    }
    const addr = req.remoteAddr;
    const meta: Metadata = {
      remote: joinHostPort(addr.hostname, addr.port),
      local: host === "" ? "NA" : host,
      scheme: req.proto,
      "User-Agent": req.headers.get("user-agent") ?? "",
      Origin: req.headers.get("origin") ?? "",
    };
    const resp = await rpc.handle(body.text, { transport: "http", meta }, {
      timeoutMs: opts.requestTimeoutMs ?? HTTP_REQUEST_TIMEOUT_MS,
      batchItemLimit: opts.batchItemLimit,
      batchResponseMaxSize: opts.batchResponseMaxSize,
      validated: true,
    });
    return jsonResponse(resp === undefined ? null : answerBody(resp));
  };
}

/**
 * Starts the HTTP endpoint.
 *
 * @param rpc The JSON-RPC core.
 * @param opts Address, vhosts and limits.
 * @returns The running server with its actual address.
 * @throws {Error} `listen tcp <host:port>: bind: address already in use`
 *   (Go's wording) or the underlying error.
 *
 * @example Usage
 * ```ts ignore
 * const http = await startHttpServer(rpc, { host: "localhost", port: 8550 });
 * console.log(http.url); // http://127.0.0.1:8550/
 * await http.close();
 * ```
 */
export function startHttpServer(
  rpc: RpcServer,
  opts: HttpServerOptions = {},
): Promise<HttpServer> {
  if (opts.tls) return listenHttps(rpc, opts, opts.tls);
  try {
    return Promise.resolve(listenHttp(rpc, opts));
  } catch (e) {
    return Promise.reject(e);
  }
}

async function listenHttps(
  rpc: RpcServer,
  opts: HttpServerOptions,
  tls: NonNullable<HttpServerOptions["tls"]>,
): Promise<HttpServer> {
  const host = opts.host ?? DEFAULT_HTTP_HOST;
  const listener = await listenTls({
    hostname: host === "" ? "0.0.0.0" : host,
    port: opts.port ?? DEFAULT_HTTP_PORT,
    cert: tls.cert,
    key: tls.key,
    clientCa: tls.clientCa,
  });
  return serveListener(rpc, opts, listener, listener.addr, "https");
}

function listenHttp(rpc: RpcServer, opts: HttpServerOptions): HttpServer {
  const host = opts.host ?? DEFAULT_HTTP_HOST;
  const port = opts.port ?? DEFAULT_HTTP_PORT;
  try {
    // An empty --http.addr listens on every interface, as Go's ":8550".
    return serveOn(rpc, opts, host === "" ? "::" : host, port);
  } catch (e) {
    if (host !== "" || e instanceof Deno.errors.AddrInUse) throw e;
    return serveOn(rpc, opts, "0.0.0.0", port); // no IPv6 here
  }
}

function serveOn(
  rpc: RpcServer,
  opts: HttpServerOptions,
  host: string,
  port: number,
): HttpServer {
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname: host, port });
  } catch (e) {
    const where = joinHostPort(host, port);
    if (e instanceof Deno.errors.AddrInUse) {
      throw new Error(`listen tcp ${where}: bind: address already in use`, {
        cause: e,
      });
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new Error(`listen tcp ${where}: bind: permission denied`, {
        cause: e,
      });
    }
    throw e;
  }
  return serveListener(rpc, opts, listener, listener.addr, "http");
}

function serveListener(
  rpc: RpcServer,
  opts: HttpServerOptions,
  listener: AcceptingListener,
  a: Deno.NetAddr,
  scheme: "http" | "https",
): HttpServer {
  const log = opts.log ?? ((m: string) => console.error(m));
  const handler = httpHandler(rpc, opts);
  const server: Http1Server = serveHttp1(listener, async (req) => {
    try {
      return await handler(req);
    } catch (e) {
      log(`HTTP request failed: ${e instanceof Error ? e.message : e}`);
      return httpError("internal error", 500);
    }
  }, {
    maxConnections: opts.maxConnections ?? HTTP_MAX_CONNECTIONS,
    reapIdleMs: opts.reapIdleMs ?? HTTP_REAP_IDLE_MS,
    headerTimeoutMs: opts.headerTimeoutMs ?? HTTP_HEADER_TIMEOUT_MS,
    idleTimeoutMs: opts.idleTimeoutMs ?? HTTP_IDLE_TIMEOUT_MS,
    readTimeoutMs: opts.readTimeoutMs ?? HTTP_READ_TIMEOUT_MS,
    writeTimeoutMs: opts.writeTimeoutMs ?? HTTP_WRITE_TIMEOUT_MS,
    // One body at the limit must always fit, or it would wait forever.
    budget: new BodyBudget(Math.max(
      opts.bodyBudgetBytes ?? HTTP_BODY_BUDGET_BYTES,
      (opts.bodyLimit ?? HTTP_BODY_LIMIT) - HTTP_BODY_FREE_BYTES,
    )),
    log,
  });
  const addr = joinHostPort(a.hostname, a.port);
  return {
    addr,
    url: `${scheme}://${addr}/`,
    get connections() {
      return server.connections;
    },
    async close({ graceMs = 10_000 } = {}) {
      await server.close(graceMs);
    },
  };
}
