/**
 * The stdio UI (`--stdio-ui`, go-ethereum `signer/core/stdioui.go` over
 * `rpc.DialStdIO`): a bidirectional JSON-RPC 2.0 channel on the daemon's
 * stdin/stdout (spec ui-api.md §2–§3).
 *
 * * clef → UI: `ui_*` requests and notifications, one JSON text per line,
 *   ids from one counter starting at 1 that every message consumes
 *   (notifications are sent without their id).
 * * UI → clef: responses, matched by the literal text of their `id`, and
 *   `clef_*` requests, passed to the internal-API handler and answered on
 *   the same channel.
 *
 * The daemon feeds every JSON value it parses from stdin to
 * {@linkcode StdioUi.handleIncoming} and calls {@linkcode StdioUi.close}
 * at end of input. stave differences (ui-api.md §2.1/§2.3, "stave:"): once
 * the UI's stdin side is closed, pending and later approvals are denied at
 * once (`request denied` for the caller) and input requests fail, with a
 * log line; requests accept a `{ signal }` option so that the approval
 * timeout can abandon them (a late reply is then ignored as an unknown id).
 *
 * @module
 */
import { StaveError } from "../errors.ts";
import { JsonNumber, type JsonValue } from "../json.ts";
import { goJsonStringify } from "./go_format.ts";
import {
  type ApprovalKind,
  type CancellableUi,
  deniedResponse,
  silentLogger,
  type UiCallOptions,
  type UiLogger,
  UiUnavailableError,
} from "./guarded_ui.ts";
import type {
  ListRequest,
  ListResponse,
  NewAccountRequest,
  NewAccountResponse,
  SignDataRequest,
  SignDataResponse,
  SignTransactionResult,
  SignTxRequest,
  SignTxResponse,
  StartupInfo,
  UserInputRequest,
  UserInputResponse,
} from "./ui.ts";
import { markDenied } from "./ui.ts";

/** Most `clef_*` calls buffered before the internal API is being served. */
export const MAX_QUEUED_UI_CALLS = 256;

/** Where clef → UI messages go (the daemon's stdout). */
export interface LineWriter {
  /**
   * Writes one message: a complete line, JSON text plus its trailing `\n`,
   * to be written verbatim. May throw or reject (broken pipe); the UI logs.
   */
  write(line: string): void | Promise<void>;
}

/** Serves one `clef_*` call; the result is sent as JSON (`undefined` → null). */
export type InternalApiHandler = (
  method: string,
  params: JsonValue | undefined,
) => Promise<unknown>;

/** A JSON-RPC error object. */
export interface WireError {
  /** JSON-RPC error code. */
  code: number;
  /** Error text. */
  message: string;
  /** Optional `data` member. */
  data?: unknown;
}

/** Options for {@linkcode StdioUi}. */
export interface StdioUiOptions {
  /** Log records; default silent. */
  logger?: UiLogger;
  /**
   * Maps a handler's thrown error to the wire. Default: StaveError → its
   * code, message and data; TypeError/RangeError/SyntaxError → -32602 with
   * the message; anything else → -32603 `internal error` (logged).
   */
  toWireError?: (err: unknown) => WireError;
  /**
   * Encodes outgoing messages (one line, no newline); default
   * {@linkcode goJsonStringify} (Go `encoding/json` output).
   */
  stringify?: (value: unknown) => string;
}

/**
 * go-ethereum's "method not found" error for a `clef_*` name the internal
 * API does not serve.
 *
 * @param method The requested method.
 * @returns A StaveError with code -32601.
 *
 * @example Usage
 * ```ts
 * import { methodNotFoundError } from "./stdio_ui.ts";
 * import { strictEqual } from "node:assert/strict";
 * const e = methodNotFoundError("clef_x");
 * strictEqual(e.code, -32601);
 * strictEqual(e.message, "the method clef_x does not exist/is not available");
 * ```
 */
export function methodNotFoundError(method: string): StaveError {
  return new StaveError(
    `the method ${method} does not exist/is not available`,
    { code: -32601 },
  );
}

function defaultWireError(err: unknown, log: UiLogger): WireError {
  if (err instanceof StaveError) {
    const w: WireError = { code: err.code, message: err.message };
    if (err.data !== undefined) w.data = err.data;
    return w;
  }
  if (
    err instanceof TypeError || err instanceof RangeError ||
    err instanceof SyntaxError
  ) {
    return { code: -32602, message: err.message };
  }
  log.error("Internal API call failed", { err: String(err) });
  return { code: -32603, message: "internal error" };
}

// ---- Go encoding/json decoding of the UI's results -------------------------

/** Go's name for the JSON type of a value in UnmarshalTypeError texts. */
function jsonTypeName(v: JsonValue): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (v instanceof JsonNumber || typeof v === "number") return "number";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  return "object";
}

function isObject(v: JsonValue | undefined): v is { [k: string]: JsonValue } {
  return v !== null && typeof v === "object" && !Array.isArray(v) &&
    !(v instanceof JsonNumber);
}

/** bytes.EqualFold-style folding (ASCII, Kelvin sign, long s). */
function fold(s: string): string {
  return s.toLowerCase().replaceAll("\u212a", "k").replaceAll("\u017f", "s");
}

/**
 * Picks the struct fields out of an object as Go does: keys matched
 * case-insensitively, unknown keys ignored, the last matching key wins.
 */
function pick(
  obj: { [k: string]: JsonValue },
  names: string[],
): Map<string, JsonValue> {
  const out = new Map<string, JsonValue>();
  for (const key of Object.keys(obj)) {
    const name = names.find((n) => n === key) ??
      names.find((n) => fold(n) === fold(key));
    if (name !== undefined) out.set(name, obj[key]);
  }
  return out;
}

function typeError(value: string, into: string): StaveError {
  return new StaveError(`json: cannot unmarshal ${value} into ${into}`);
}

function fieldOf(struct: string, field: string, type: string): string {
  return `Go struct field ${struct}.${field} of type ${type}`;
}

/** Decodes the top level: an object, or null for the zero value. */
function topLevel(
  v: JsonValue,
  goType: string,
  names: string[],
): Map<string, JsonValue> {
  if (v === null) return new Map();
  if (!isObject(v)) {
    throw typeError(jsonTypeName(v), `Go value of type core.${goType}`);
  }
  return pick(v, names);
}

function decodeBool(
  f: Map<string, JsonValue>,
  struct: string,
  field: string,
): boolean {
  const v = f.get(field);
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") {
    throw typeError(jsonTypeName(v), fieldOf(struct, field, "bool"));
  }
  return v;
}

function decodeAddress(v: JsonValue, into: string): string {
  if (typeof v !== "string") throw typeError("non-string", into);
  if (!(v.startsWith("0x") || v.startsWith("0X"))) {
    throw typeError("hex string without 0x prefix", into);
  }
  const hex = v.slice(2);
  if (!/^[0-9a-fA-F]*$/.test(hex)) throw typeError("invalid hex string", into);
  if (hex.length !== 40) {
    throw typeError(
      `hex string has length ${hex.length}, want 40 for common.Address`,
      into,
    );
  }
  return "0x" + hex.toLowerCase();
}

/**
 * Decodes a `ui_approveTx` result (SignTxResponse). The transaction object
 * is passed on as received (the signer decodes SendTxArgs); absent or null
 * means the zero transaction, `{}`.
 */
export function decodeSignTxResponse(v: JsonValue): SignTxResponse {
  const f = topLevel(v, "SignTxResponse", ["transaction", "approved"]);
  const tx = f.get("transaction");
  if (tx !== undefined && tx !== null && !isObject(tx)) {
    throw typeError(
      jsonTypeName(tx),
      fieldOf("SignTxResponse", "transaction", "apitypes.SendTxArgs"),
    );
  }
  return {
    transaction: (isObject(tx) ? tx : {}) as Record<string, unknown>,
    approved: decodeBool(f, "SignTxResponse", "approved"),
  };
}

/** Decodes a SignDataResponse or NewAccountResponse (`{approved}`). */
function decodeApproved(
  v: JsonValue,
  goType: string,
): { approved: boolean } {
  const f = topLevel(v, goType, ["approved"]);
  return { approved: decodeBool(f, goType, "approved") };
}

/**
 * Decodes a `ui_approveListing` result (ListResponse): `accounts` null or
 * absent stays null (denied); each address must be `0x` + 40 hex digits
 * (returned lowercase); a `url`, if given, must be `scheme://path`.
 */
export function decodeListResponse(v: JsonValue): ListResponse {
  const f = topLevel(v, "ListResponse", ["accounts"]);
  const accs = f.get("accounts");
  if (accs === undefined || accs === null) return { accounts: null };
  if (!Array.isArray(accs)) {
    throw typeError(
      jsonTypeName(accs),
      fieldOf("ListResponse", "accounts", "[]accounts.Account"),
    );
  }
  const out: { address: string; url?: string }[] = [];
  for (const el of accs) {
    if (el === null) {
      out.push({ address: "0x" + "00".repeat(20) });
      continue;
    }
    if (!isObject(el)) {
      throw typeError(
        jsonTypeName(el),
        fieldOf("ListResponse", "accounts", "accounts.Account"),
      );
    }
    const g = pick(el, ["address", "url"]);
    const a = g.get("address");
    const address = a === undefined || a === null
      ? "0x" + "00".repeat(20)
      : decodeAddress(
        a,
        fieldOf("ListResponse", "accounts.address", "common.Address"),
      );
    const entry: { address: string; url?: string } = { address };
    const u = g.get("url");
    if (u !== undefined && u !== null) {
      if (typeof u !== "string") {
        throw typeError(jsonTypeName(u), "Go value of type string");
      }
      if (!u.includes("://")) throw new StaveError("protocol scheme missing");
      entry.url = u;
    }
    out.push(entry);
  }
  return { accounts: out };
}

/** Decodes a `ui_onInputRequired` result (UserInputResponse). */
export function decodeUserInputResponse(v: JsonValue): UserInputResponse {
  const f = topLevel(v, "UserInputResponse", ["text"]);
  const t = f.get("text");
  if (t === undefined || t === null) return { text: "" };
  if (typeof t !== "string") {
    throw typeError(
      jsonTypeName(t),
      fieldOf("UserInputResponse", "text", "string"),
    );
  }
  return { text: t };
}

// ---- the channel -----------------------------------------------------------

type Settle =
  | { kind: "result"; value: JsonValue }
  | { kind: "error"; error: StaveError }
  | { kind: "closed" }
  | { kind: "aborted" };

interface Message {
  jsonrpc?: JsonValue;
  id?: JsonValue;
  method?: JsonValue;
  params?: JsonValue;
  result?: JsonValue;
  error?: JsonValue;
}

function readMessage(v: { [k: string]: JsonValue }): Message {
  const f = pick(v, ["jsonrpc", "id", "method", "params", "result", "error"]);
  return Object.fromEntries(f) as Message;
}

/** The literal text of an id, which is what responses are matched on. */
function idKey(id: JsonValue | undefined): string | null {
  if (id === undefined) return null;
  if (id instanceof JsonNumber) return id.literal;
  if (typeof id === "number") return String(id);
  if (typeof id === "string" || id === null) return goJsonStringify(id);
  return null; // objects and arrays are not valid ids
}

function wireErrorOf(e: JsonValue): StaveError {
  if (!isObject(e)) return new StaveError(String(goJsonStringify(e)));
  const f = pick(e, ["code", "message", "data"]);
  const c = f.get("code");
  const code = c instanceof JsonNumber
    ? Math.trunc(c.value)
    : typeof c === "number"
    ? c
    : 0;
  const m = f.get("message");
  const message = typeof m === "string" && m !== ""
    ? m
    : `json-rpc error ${code}`;
  const data = f.get("data");
  return new StaveError(message, {
    code,
    data: data === null ? undefined : data,
  });
}

/**
 * The stdio UI: sends `ui_*` messages through a {@linkcode LineWriter}
 * and takes the UI's messages through {@linkcode StdioUi.handleIncoming}.
 *
 * @example Usage
 * ```ts
 * import { StdioUi } from "./stdio_ui.ts";
 * import { JsonNumber } from "../json.ts";
 * import { strictEqual } from "node:assert/strict";
 * const sent: string[] = [];
 * const ui = new StdioUi({ write: (l) => { sent.push(l); } });
 * const p = ui.approveNewAccount({ meta: { remote: "NA", local: "NA", scheme: "NA", "User-Agent": "", Origin: "" } });
 * strictEqual(sent[0].startsWith('{"jsonrpc":"2.0","id":1,"method":"ui_approveNewAccount"'), true);
 * ui.handleIncoming({ jsonrpc: "2.0", id: new JsonNumber("1"), result: { approved: true } });
 * strictEqual((await p).approved, true);
 * ```
 */
export class StdioUi implements CancellableUi {
  #out: LineWriter;
  #log: UiLogger;
  #toWire: (err: unknown) => WireError;
  #stringify: (value: unknown) => string;
  #nextId = 1;
  #pending = new Map<string, (s: Settle) => void>();
  #closed = false;
  #handler: InternalApiHandler | null = null;
  #queued: { msg: Message; done: (resp: object | null) => void }[] = [];

  /**
   * Creates the channel; nothing is sent until the signer calls the UI.
   *
   * @param out Where clef → UI lines go (stdout).
   * @param options Logger and error mapping.
   */
  constructor(out: LineWriter, options: StdioUiOptions = {}) {
    this.#out = out;
    this.#log = options.logger ?? silentLogger;
    this.#toWire = options.toWireError ??
      ((e) => defaultWireError(e, this.#log));
    this.#stringify = options.stringify ?? ((v) => goJsonStringify(v));
  }

  /** True once {@linkcode StdioUi.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Starts serving `clef_*` calls (clef serves them once the signer exists,
   * ui-api.md §2.2); calls received earlier were queued and run now.
   *
   * @param handler The internal API.
   */
  serveInternalApi(handler: InternalApiHandler): void {
    this.#handler = handler;
    const queued = this.#queued;
    this.#queued = [];
    for (const q of queued) this.#call(q.msg).then(q.done);
  }

  /**
   * End of the UI's input (stdin closed): pending requests are answered at
   * once (approvals denied, input requests fail) and so are later ones.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pending.size > 0) {
      this.#log.warn("UI closed its input, pending requests denied", {
        pending: this.#pending.size,
      });
    }
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const settle of pending) settle({ kind: "closed" });
    // clef_* calls already received stay queued: the UI may still read
    // stdout, and they are answered once the internal API is served.
  }

  /** Writes one message; `onFail` runs if an asynchronous write fails. */
  #send(msg: object, onFail?: () => void): boolean {
    let line: string;
    try {
      line = this.#stringify(msg) + "\n";
    } catch (e) {
      this.#log.error("Failed to encode UI message", { err: String(e) });
      return false;
    }
    try {
      const r = this.#out.write(line);
      if (r instanceof Promise) {
        r.catch((e) => {
          this.#log.warn("Failed to write to the UI", { err: String(e) });
          onFail?.();
        });
      }
      return true;
    } catch (e) {
      this.#log.warn("Failed to write to the UI", { err: String(e) });
      return false;
    }
  }

  #notify(method: string, param: unknown): void {
    this.#nextId++; // notifications consume an id (ui-api.md §2.1)
    this.#send({ jsonrpc: "2.0", method, params: [param] });
  }

  #request(
    method: string,
    param: unknown,
    signal?: AbortSignal,
  ): Promise<Settle> {
    if (this.#closed) return Promise.resolve({ kind: "closed" });
    if (signal?.aborted) return Promise.resolve({ kind: "aborted" });
    const id = this.#nextId++;
    const key = String(id);
    return new Promise<Settle>((resolve) => {
      const onAbort = () => {
        if (this.#pending.delete(key)) resolve({ kind: "aborted" });
      };
      this.#pending.set(key, (s) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(s);
      });
      signal?.addEventListener("abort", onAbort, { once: true });
      const fail = () => {
        if (!this.#pending.delete(key)) return;
        signal?.removeEventListener("abort", onAbort);
        resolve({ kind: "closed" });
      };
      if (!this.#send({ jsonrpc: "2.0", id, method, params: [param] }, fail)) {
        fail();
      }
    });
  }

  async #approve<T>(
    kind: ApprovalKind,
    method: string,
    request: unknown,
    decode: (v: JsonValue) => T,
    signal?: AbortSignal,
  ): Promise<T> {
    const s = await this.#request(method, request, signal);
    switch (s.kind) {
      case "result":
        return markDenied(decode(s.value) as T & object, "ui");
      case "error":
        throw s.error;
      case "closed":
        this.#log.warn("UI unavailable, request denied", {
          request: kind,
          err: "input closed",
        });
        return markDenied(deniedResponse(kind, request), "end of input") as T;
      case "aborted":
        return markDenied(deniedResponse(kind, request), "timeout") as T;
    }
  }

  /** `ui_approveTx` */
  approveTx(
    request: SignTxRequest,
    options?: UiCallOptions,
  ): Promise<SignTxResponse> {
    return this.#approve(
      "ApproveTx",
      "ui_approveTx",
      request,
      decodeSignTxResponse,
      options?.signal,
    );
  }

  /** `ui_approveSignData` */
  approveSignData(
    request: SignDataRequest,
    options?: UiCallOptions,
  ): Promise<SignDataResponse> {
    return this.#approve(
      "ApproveSignData",
      "ui_approveSignData",
      request,
      (v) => decodeApproved(v, "SignDataResponse"),
      options?.signal,
    );
  }

  /** `ui_approveListing` */
  approveListing(
    request: ListRequest,
    options?: UiCallOptions,
  ): Promise<ListResponse> {
    return this.#approve(
      "ApproveListing",
      "ui_approveListing",
      request,
      decodeListResponse,
      options?.signal,
    );
  }

  /** `ui_approveNewAccount` */
  approveNewAccount(
    request: NewAccountRequest,
    options?: UiCallOptions,
  ): Promise<NewAccountResponse> {
    return this.#approve(
      "ApproveNewAccount",
      "ui_approveNewAccount",
      request,
      (v) => decodeApproved(v, "NewAccountResponse"),
      options?.signal,
    );
  }

  /**
   * `ui_onInputRequired`
   * @throws {UiUnavailableError} when the UI's input is closed or the
   *   request was abandoned; the UI's own error object as a StaveError.
   */
  async onInputRequired(
    request: UserInputRequest,
    options?: UiCallOptions,
  ): Promise<UserInputResponse> {
    const s = await this.#request(
      "ui_onInputRequired",
      request,
      options?.signal,
    );
    switch (s.kind) {
      case "result":
        return decodeUserInputResponse(s.value);
      case "error":
        throw s.error;
      case "closed":
        this.#log.warn("UI unavailable, no user input", {
          title: request.title,
          err: "input closed",
        });
        throw new UiUnavailableError("ui closed");
      case "aborted":
        throw new UiUnavailableError("no answer");
    }
  }

  /** `ui_showError` notification. */
  showError(text: string): void {
    this.#notify("ui_showError", { text });
  }

  /** `ui_showInfo` notification. */
  showInfo(text: string): void {
    this.#notify("ui_showInfo", { text });
  }

  /** `ui_onApprovedTx` notification. */
  onApprovedTx(result: SignTransactionResult): void {
    this.#notify("ui_onApprovedTx", result);
  }

  /** `ui_onSignerStartup` notification. */
  onSignerStartup(info: StartupInfo): void {
    this.#notify("ui_onSignerStartup", info);
  }

  /**
   * Takes one JSON value the UI sent (a message or a batch): responses
   * settle pending requests (unknown ids are ignored), calls go to the
   * internal API and are answered on the writer.
   *
   * @param value A parsed JSON value from stdin.
   */
  handleIncoming(value: JsonValue): void {
    if (Array.isArray(value)) {
      this.#handleBatch(value);
      return;
    }
    this.#handleOne(value).then((resp) => {
      if (resp) this.#send(resp);
    });
  }

  #handleBatch(values: JsonValue[]): void {
    if (values.length === 0) {
      this.#send({
        jsonrpc: "2.0",
        id: null,
        error: { code: -32600, message: "empty batch" },
      });
      return;
    }
    Promise.all(values.map((v) => this.#handleOne(v))).then((resps) => {
      const out = resps.filter((r): r is object => r !== null);
      if (out.length > 0) this.#send(out);
    });
  }

  /** Handles one message; resolves the response to send, if any. */
  #handleOne(value: JsonValue): Promise<object | null> {
    if (!isObject(value)) {
      return Promise.resolve(this.#invalid(null));
    }
    const msg = readMessage(value);
    const versionOk = msg.jsonrpc === "2.0";
    const key = idKey(msg.id);
    const idOk = key !== null;
    const hasMethod = typeof msg.method === "string" && msg.method !== "";
    const isResponse = versionOk && idOk &&
      (msg.method === undefined || msg.method === "") &&
      msg.params === undefined &&
      (msg.result !== undefined ||
        (msg.error !== undefined && msg.error !== null));
    if (isResponse) {
      const settle = this.#pending.get(key!);
      if (!settle) {
        this.#log.info("Ignoring UI response with unknown id", { id: key });
        return Promise.resolve(null);
      }
      this.#pending.delete(key!);
      if (msg.error !== undefined && msg.error !== null) {
        settle({ kind: "error", error: wireErrorOf(msg.error) });
      } else {
        settle({ kind: "result", value: msg.result ?? null });
      }
      return Promise.resolve(null);
    }
    if (versionOk && hasMethod && (idOk || msg.id === undefined)) {
      const isNotification = msg.id === undefined;
      const p = this.#callOrQueue(msg);
      return isNotification ? p.then(() => null) : p;
    }
    return Promise.resolve(this.#invalid(idOk ? msg.id! : null));
  }

  #invalid(id: JsonValue): object {
    return {
      jsonrpc: "2.0",
      id,
      error: { code: -32600, message: "invalid request" },
    };
  }

  #callOrQueue(msg: Message): Promise<object | null> {
    if (this.#handler || !String(msg.method).startsWith("clef_")) {
      return this.#call(msg);
    }
    if (this.#closed || this.#queued.length >= MAX_QUEUED_UI_CALLS) {
      return Promise.resolve(
        this.#errorResponse(msg.id ?? null, {
          code: -32000,
          message: "signer not ready",
        }),
      );
    }
    return new Promise((done) => this.#queued.push({ msg, done }));
  }

  #errorResponse(id: JsonValue, e: WireError): object {
    const error: Record<string, unknown> = { code: e.code, message: e.message };
    if (e.data !== undefined) error.data = e.data;
    return { jsonrpc: "2.0", id, error };
  }

  async #call(msg: Message): Promise<object | null> {
    const method = msg.method as string;
    const id = msg.id ?? null;
    let result: unknown;
    try {
      if (!method.startsWith("clef_") || !this.#handler) {
        throw methodNotFoundError(method);
      }
      result = await this.#handler(method, msg.params);
    } catch (e) {
      return this.#errorResponse(id, this.#toWire(e));
    }
    return { jsonrpc: "2.0", id, result: result === undefined ? null : result };
  }
}
