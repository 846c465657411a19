/**
 * The JSON-RPC 2.0 server core, transport-free: request text in, response
 * text out, with go-ethereum's rules (`rpc/handler.go`, `rpc/json.go`;
 * external-api.md §1.3–§1.5). The IPC and HTTP servers only frame bytes.
 *
 * Error mapping (the only place that turns exceptions into wire errors):
 * - a parameter decoder throwing → -32602 `invalid argument <i>: <message>`;
 * - {@linkcode InvalidArgumentError} from a handler → the same -32602 text;
 * - {@linkcode StaveError} → its `code`, `message` and `data`;
 * - anything else → -32603 `method handler crashed` (geth's text for a
 *   panic); the details go to the injected logger, never to the client;
 * - a result that cannot be serialised → -32603 with the serialiser's
 *   `json: …` message.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { setImmediate } from "node:timers";
import { StaveError } from "../errors.ts";
import { type JsonValue, parseJson, stringifyJson } from "../json.ts";
import { goQuote } from "../ui/go_format.ts";
import type { Metadata } from "../ui/ui.ts";

export type { Metadata };
import {
  decodeRequest,
  encodeErrorObject,
  encodeResponse,
  hasValidId,
  isCall,
  isNotification,
  isResponse,
  MAX_METHOD_NAME_LENGTH,
  parseParams,
  type RpcErrorObject,
  type RpcMessage,
} from "./codec.ts";

/**
 * geth's batch item limit (`node.DefaultConfig.BatchRequestLimit`), applied
 * on every transport (clef applies it on HTTP only).
 */
export const BATCH_ITEM_LIMIT = 1000;
/**
 * geth's batch response limit in bytes (`BatchResponseMaxSize`: the sum of
 * the `result` texts), applied on every transport.
 */
export const BATCH_RESPONSE_MAX_SIZE = 25_000_000;
/** geth's per-call HTTP deadline: write timeout 30 s − 100 ms. */
export const HTTP_REQUEST_TIMEOUT_MS = 29_900;

/** What a handler learns about the call. */
export interface CallContext {
  /** The transport the request came in on. */
  transport: "ipc" | "http";
  /** Request metadata (external-api.md §3). */
  meta: Metadata;
  /** Aborted when the call timed out (HTTP); the handler may ignore it. */
  signal: AbortSignal;
}

/** One positional parameter of a method. */
export interface ParamSpec {
  /**
   * Turns the JSON value into the handler's argument. Throw (typically a
   * `TypeError` with Go's decoder text) to answer -32602
   * `invalid argument <i>: <message>`. Without a decoder the raw
   * {@linkcode JsonValue} is passed.
   */
  decode?: (value: JsonValue) => unknown;
  /**
   * A Go pointer parameter: may be missing (then `undefined`), and a JSON
   * `null` gives `undefined` without calling `decode`. Required parameters
   * receive `null` through `decode` (as Go hands `null` to the type's
   * decoder).
   */
  optional?: boolean;
}

/** A registered method. */
export interface MethodSpec {
  /** Positional parameters, in order (default: none). */
  params?: ParamSpec[];
  /**
   * Runs the call with the decoded arguments (missing optional ones are
   * `undefined`). Its result is written with {@linkcode stringifyJson}.
   */
  handler(args: unknown[], ctx: CallContext): unknown;
}

/**
 * Thrown by a handler that decodes an argument itself: answered -32602
 * `invalid argument <index>: <message>`.
 */
export class InvalidArgumentError extends Error {
  /** 0-based argument index. */
  readonly index: number;
  /**
   * Creates the error for argument `index`.
   *
   * @param index 0-based argument index.
   * @param message The decoder message (Go's text).
   */
  constructor(index: number, message: string) {
    super(message);
    this.name = "InvalidArgumentError";
    this.index = index;
  }
}

/** Fields describing the call being served, for its log lines. */
export type CallLogFields = Record<string, unknown>;

const currentCall = new AsyncLocalStorage<CallLogFields>();

/**
 * The log fields of the call whose work is running now (`method`,
 * `reqid`, and what the handler added with {@linkcode annotateCall}), or
 * `undefined` outside a call. Every log line written while a request is
 * served carries them, so an operator can tie `Op approved` to its request.
 *
 * @returns The fields (live: later annotations show).
 */
export function currentCallFields(): CallLogFields | undefined {
  return currentCall.getStore();
}

/**
 * Adds fields (account, block number, who denied) to the current call's
 * log fields; a no-op outside a call.
 *
 * @param fields The fields (never a secret).
 */
export function annotateCall(fields: CallLogFields): void {
  const f = currentCall.getStore();
  if (f !== undefined) Object.assign(f, fields);
}

/** Where the server reports what a client must not see. */
export interface RpcLogger {
  /**
   * A call finished (geth logs failed calls at WARN: `Served <method>
   * reqid=<id> duration=<d> err=<message>`). `reqid` is the id, unquoted
   * when it was a JSON string.
   */
  served?(
    method: string,
    reqid: string,
    durationMs: number,
    error?: RpcErrorObject,
    fields?: CallLogFields,
  ): void;
  /** A handler threw something unexpected (answered `method handler crashed`). */
  crashed(method: string, error: unknown): void;
}

/** Per-request limits; defaults follow the transport. */
export interface HandleOptions {
  /** Max items per batch, 0 = none (default {@linkcode BATCH_ITEM_LIMIT}). */
  batchItemLimit?: number;
  /**
   * Max accumulated batch result bytes, 0 = none (default
   * {@linkcode BATCH_RESPONSE_MAX_SIZE}).
   */
  batchResponseMaxSize?: number;
  /** Per-call deadline in ms, 0 = none (HTTP 29 900, IPC none). */
  timeoutMs?: number;
  /**
   * The text is exactly one syntactically valid JSON value (the servers'
   * stream decoder checked it), so the syntax check is skipped.
   */
  validated?: boolean;
}

/** The transport side of a call. */
export interface TransportContext {
  /** The transport the request came in on. */
  transport: "ipc" | "http";
  /** Request metadata (external-api.md §3). */
  meta: Metadata;
}

/** Options for {@linkcode RpcServer}. */
export interface RpcServerOptions {
  /** Defaults to stderr for crashes and silence for `served`. */
  logger?: RpcLogger;
}

interface Answer {
  rawId: string | undefined;
  /** JSON text of the result or of the error object. */
  result?: string;
  error?: string;
}

const defaultLogger: RpcLogger = {
  crashed(method, error) {
    console.error(
      `RPC method ${method} crashed: ${
        error instanceof Error ? (error.stack ?? error.message) : String(error)
      }`,
    );
  },
};

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function errorAnswer(
  rawId: string | undefined,
  code: number,
  message: string,
  data?: unknown,
): Answer {
  return { rawId, error: encodeErrorObject({ code, message, data }) };
}

function encodeAnswer(a: Answer): string {
  return encodeResponse(
    a.rawId,
    a.error !== undefined ? { error: a.error } : { result: a.result! },
  );
}

function reqIdForLog(rawId: string | undefined): string {
  if (rawId === undefined) return "";
  if (rawId.startsWith('"')) {
    try {
      return parseJson(rawId) as string;
    } catch {
      return rawId;
    }
  }
  return rawId;
}

function goTypeOfJson(v: JsonValue): string {
  if (typeof v === "boolean") return "bool";
  if (typeof v === "string") return "string";
  if (Array.isArray(v)) return "array";
  if (v !== null && typeof v === "object" && "literal" in v) return "number";
  return "object";
}

const UNSUBSCRIBE_PARAMS: ParamSpec[] = [{
  decode(v) {
    if (v === null) return "";
    if (typeof v === "string") return v;
    throw new TypeError(
      `json: cannot unmarshal ${goTypeOfJson(v)} into Go value of type rpc.ID`,
    );
  },
}];

class ArgsError extends Error {}

/** One macrotask turn (`setImmediate`: no 4 ms clamp, lets I/O be polled). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The JSON-RPC server core. Register methods, then hand it request texts.
 *
 * @example Usage
 * ```ts
 * import { RpcServer } from "./dispatch.ts";
 * import { strictEqual } from "node:assert/strict";
 * const rpc = new RpcServer();
 * rpc.register("account_version", { handler: () => "6.1.0" });
 * const meta = { remote: "NA", local: "NA", scheme: "ipc", "User-Agent": "", Origin: "" };
 * strictEqual(
 *   await rpc.handle('{"jsonrpc":"2.0","id":1,"method":"account_version"}', { transport: "ipc", meta }),
 *   '{"jsonrpc":"2.0","id":1,"result":"6.1.0"}',
 * );
 * ```
 */
export class RpcServer {
  #methods = new Map<string, MethodSpec>();
  #logger: RpcLogger;

  /**
   * Creates a server answering only `rpc_modules` until methods are added.
   *
   * @param opts Logger.
   */
  constructor(opts: RpcServerOptions = {}) {
    this.#logger = opts.logger ?? defaultLogger;
    this.register("rpc_modules", { handler: () => this.modules() });
  }

  /**
   * Adds a method (`<namespace>_<name>`, matched exactly).
   *
   * @param name Wire name, e.g. `account_list`.
   * @param spec Parameters and handler.
   * @throws {TypeError} If the name has no namespace or is taken.
   */
  register(name: string, spec: MethodSpec): void {
    if (!/^[^_]+_.+$/.test(name)) {
      throw new TypeError(`Cannot register method "${name}": no namespace`);
    }
    if (this.#methods.has(name)) {
      throw new TypeError(
        `Cannot register method "${name}": already registered`,
      );
    }
    this.#methods.set(name, spec);
  }

  /**
   * `rpc_modules`: every namespace with version `1.0`, keys sorted (Go map).
   *
   * @returns E.g. `{"account":"1.0","rpc":"1.0"}`.
   */
  modules(): Record<string, string> {
    const names = new Set<string>();
    for (const m of this.#methods.keys()) names.add(m.slice(0, m.indexOf("_")));
    const out: Record<string, string> = {};
    for (const n of [...names].sort()) out[n] = "1.0";
    return out;
  }

  /**
   * Serves one request body (one JSON value: a message or a batch).
   *
   * @param text The JSON text.
   * @param transport Transport and metadata for the handlers.
   * @param opts Limits; batches default to 1000 items and 25 MB on every
   *   transport, the call deadline to 29.9 s on HTTP and none on IPC.
   * @returns The response text (no newline), or `undefined` when nothing
   *   is to be written (notifications only). Invalid JSON gives the IPC
   *   answer: -32700 with Go's parser message and id `null`.
   */
  async handle(
    text: string,
    transport: TransportContext,
    opts: HandleOptions = {},
  ): Promise<string | undefined> {
    let req;
    try {
      req = decodeRequest(text, { validated: opts.validated });
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      return encodeAnswer(errorAnswer("null", -32700, e.message));
    }
    const http = transport.transport === "http";
    const o: Required<Omit<HandleOptions, "validated">> = {
      batchItemLimit: opts.batchItemLimit ?? BATCH_ITEM_LIMIT,
      batchResponseMaxSize: opts.batchResponseMaxSize ??
        BATCH_RESPONSE_MAX_SIZE,
      timeoutMs: opts.timeoutMs ?? (http ? HTTP_REQUEST_TIMEOUT_MS : 0),
    };
    if (req.batch) return await this.#handleBatch(req.messages, transport, o);
    const msg = req.messages[0];
    if (isIgnored(msg)) return undefined;
    return await this.#handleSingle(msg, transport, o);
  }

  async #handleSingle(
    msg: RpcMessage,
    transport: TransportContext,
    o: Required<Omit<HandleOptions, "validated">>,
  ): Promise<string | undefined> {
    const ac = new AbortController();
    const work = this.#callMsg(msg, transport, ac.signal).then((a) =>
      a === undefined || isNotification(msg) ? undefined : encodeAnswer(a)
    );
    if (o.timeoutMs <= 0) return await work;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => {
        ac.abort();
        // geth writes this even for a notification (without an id).
        resolve(
          encodeAnswer(errorAnswer(msg.rawId, -32002, "request timed out")),
        );
      }, o.timeoutMs);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #handleBatch(
    msgs: RpcMessage[],
    transport: TransportContext,
    o: Required<Omit<HandleOptions, "validated">>,
  ): Promise<string | undefined> {
    if (msgs.length === 0) {
      return encodeAnswer(errorAnswer("null", -32600, "empty batch"));
    }
    if (o.batchItemLimit > 0 && msgs.length > o.batchItemLimit) {
      const first = msgs.find(isCall);
      return "[" + encodeAnswer(
        errorAnswer(first?.rawId ?? "null", -32600, "batch too large"),
      ) + "]";
    }
    const calls = msgs.filter((m) => !isIgnored(m));
    if (calls.length === 0) return undefined;

    const ac = new AbortController();
    const out: string[] = [];
    let next = 0;
    let done = false;
    let bytes = 0;
    // geth's respondWithError: every call not yet answered (including the
    // one running) gets the error; notifications get nothing.
    const failRest = (code: number, message: string) => {
      for (let k = next; k < calls.length; k++) {
        if (!isNotification(calls[k])) {
          out.push(encodeAnswer(errorAnswer(calls[k].rawId, code, message)));
        }
      }
      done = true;
    };
    const loop = async () => {
      while (!done && next < calls.length) {
        const m = calls[next];
        // One item at a time, each entering shared queues (rules, unlock)
        // on its own, and a macrotask turn before each, so that other
        // connections are read and served between the items of a batch
        // (a chain of resolved awaits alone never lets I/O in).
        await yieldToEventLoop();
        if (done) return;
        const a = await this.#callMsg(m, transport, ac.signal);
        if (done) return;
        next++;
        if (a === undefined || isNotification(m)) continue;
        out.push(encodeAnswer(a));
        if (o.batchResponseMaxSize > 0 && a.result !== undefined) {
          // geth counts len(resp.Result) only.
          bytes += utf8Length(a.result);
          if (bytes > o.batchResponseMaxSize) {
            failRest(-32003, "response too large");
          }
        }
      }
      done = true;
    };
    if (o.timeoutMs <= 0) {
      await loop();
    } else {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          ac.abort();
          if (!done) failRest(-32002, "request timed out");
          resolve();
        }, o.timeoutMs);
      });
      try {
        await Promise.race([loop(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    }
    return out.length > 0 ? "[" + out.join(",") + "]" : undefined;
  }

  /** geth `handleCallMsg`: undefined only for dropped messages. */
  async #callMsg(
    msg: RpcMessage,
    transport: TransportContext,
    signal: AbortSignal,
  ): Promise<Answer | undefined> {
    if (isNotification(msg) || isCall(msg)) {
      const start = performance.now();
      const reqid = isCall(msg) ? reqIdForLog(msg.rawId) : "";
      const fields: CallLogFields = isCall(msg)
        ? { method: msg.method, reqid }
        : { method: msg.method };
      const a = await currentCall.run(
        fields,
        () => this.#handleCall(msg, transport, signal),
      );
      if (isCall(msg) && this.#logger.served) {
        let err: RpcErrorObject | undefined;
        if (a.error !== undefined) {
          err = parseErrorForLog(a.error);
        }
        this.#logger.served(
          msg.method,
          reqid,
          performance.now() - start,
          err,
          fields,
        );
      }
      return a;
    }
    if (hasValidId(msg)) {
      return errorAnswer(msg.rawId, -32600, "invalid request");
    }
    return errorAnswer("null", -32600, "invalid request");
  }

  /** geth `handleCall`. */
  async #handleCall(
    msg: RpcMessage,
    transport: TransportContext,
    signal: AbortSignal,
  ): Promise<Answer> {
    const id = msg.rawId;
    const len = utf8Length(msg.method);
    if (len > MAX_METHOD_NAME_LENGTH) {
      return errorAnswer(
        id,
        -32600,
        `method name too long: ${len} > ${MAX_METHOD_NAME_LENGTH}`,
      );
    }
    if (msg.method.endsWith("_subscribe")) {
      return this.#subscribe(msg, transport);
    }
    let spec: MethodSpec | undefined;
    let unsubscribe = false;
    if (msg.method.endsWith("_unsubscribe")) {
      unsubscribe = true;
    } else {
      spec = this.#methods.get(msg.method);
      if (spec === undefined) {
        return errorAnswer(
          id,
          -32601,
          `the method ${msg.method} does not exist/is not available`,
        );
      }
    }
    let args: unknown[];
    try {
      args = decodeArgs(
        msg.rawParams,
        unsubscribe ? UNSUBSCRIBE_PARAMS : spec!.params ?? [],
      );
    } catch (e) {
      if (e instanceof ArgsError) return errorAnswer(id, -32602, e.message);
      throw e;
    }
    if (unsubscribe) return errorAnswer(id, -32000, "subscription not found");

    let result: unknown;
    try {
      result = await spec!.handler(args, { ...transport, signal });
    } catch (e) {
      if (e instanceof StaveError) {
        return errorAnswer(id, e.code, e.message, e.data);
      }
      if (e instanceof InvalidArgumentError) {
        return errorAnswer(
          id,
          -32602,
          `invalid argument ${e.index}: ${e.message}`,
        );
      }
      this.#logger.crashed(msg.method, e);
      return errorAnswer(id, -32603, "method handler crashed");
    }
    try {
      return { rawId: id, result: stringifyJson(result) };
    } catch (e) {
      if (e instanceof TypeError && e.message.startsWith("json: ")) {
        return errorAnswer(id, -32603, e.message);
      }
      this.#logger.crashed(msg.method, e);
      return errorAnswer(id, -32603, "method handler crashed");
    }
  }

  /** geth `handleSubscribe`: stave (like clef) has no subscriptions. */
  #subscribe(msg: RpcMessage, transport: TransportContext): Answer {
    const id = msg.rawId;
    if (transport.transport === "http") {
      return errorAnswer(id, -32601, "notifications not supported");
    }
    const params = msg.rawParams === undefined
      ? undefined
      : parseParams(msg.rawParams);
    if (!Array.isArray(params)) {
      return errorAnswer(id, -32602, "non-array args");
    }
    const name = params[0];
    if (typeof name !== "string") {
      return errorAnswer(
        id,
        -32602,
        "expected subscription name as first argument",
      );
    }
    const ns = msg.method.slice(0, msg.method.indexOf("_"));
    return errorAnswer(
      id,
      -32601,
      `no ${goQuote(name)} subscription in ${ns} namespace`,
    );
  }
}

/** Responses to our own calls and subscription notifications: dropped. */
function isIgnored(m: RpcMessage): boolean {
  return isResponse(m) ||
    (isNotification(m) && m.method.endsWith("_subscription"));
}

function parseErrorForLog(errorJson: string): RpcErrorObject {
  const o = parseJson(errorJson) as Record<string, JsonValue>;
  return {
    code: Number(o.code),
    message: o.message as string,
    ...(o.data !== undefined ? { data: o.data } : {}),
  };
}

/** geth `parsePositionalArguments`, decoding each argument in order. */
function decodeArgs(raw: string | undefined, specs: ParamSpec[]): unknown[] {
  const args: unknown[] = [];
  const params = raw === undefined ? null : parseParams(raw);
  if (params !== null) {
    if (!Array.isArray(params)) throw new ArgsError("non-array args");
    for (let i = 0; i < params.length; i++) {
      if (i >= specs.length) {
        throw new ArgsError(
          `too many arguments, want at most ${specs.length}`,
        );
      }
      const spec = specs[i];
      const v = params[i];
      if (spec.optional && v === null) {
        args.push(undefined);
        continue;
      }
      try {
        args.push(spec.decode ? spec.decode(v) : v);
      } catch (e) {
        const m = e instanceof Error ? e.message : String(e);
        throw new ArgsError(`invalid argument ${i}: ${m}`);
      }
    }
  }
  for (let i = args.length; i < specs.length; i++) {
    if (!specs[i].optional) {
      throw new ArgsError(`missing value for required argument ${i}`);
    }
    args.push(undefined);
  }
  return args;
}
