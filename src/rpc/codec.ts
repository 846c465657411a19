/**
 * JSON-RPC 2.0 envelope decoding and response encoding with go-ethereum's
 * rules (`rpc/json.go`, external-api.md §1.3–§1.4).
 *
 * geth decodes each message into a struct whose members are raw JSON
 * (`json.RawMessage`): the `id` is written back exactly as received, keys
 * match case-insensitively (`"ID"`, `"Method"`), a repeated key keeps the
 * later value, and a member of the wrong type (`"method": 5`) is ignored.
 * This module reproduces that from the request text.
 *
 * @module
 */
import { type JsonValue, parseJson, stringifyJson } from "../json.ts";

/** geth's `maxMethodNameLength` (bytes of UTF-8). */
export const MAX_METHOD_NAME_LENGTH = 2048;

/** One decoded JSON-RPC message (geth's `jsonrpcMessage`). */
export interface RpcMessage {
  /** `jsonrpc` when it was a string (else `""`). */
  version: string;
  /** Raw JSON text of `id`, exactly as received; `undefined` if absent. */
  rawId?: string;
  /** `method` when it was a string (else `""`). */
  method: string;
  /** Raw JSON text of `params`; `undefined` if absent. */
  rawParams?: string;
  /** Whether a `result` member was present (responses only). */
  hasResult: boolean;
  /** Whether an `error` member was present (responses only). */
  hasError: boolean;
}

/** A request body: one message or a batch. */
export interface RpcRequest {
  /** Whether the body was an array. */
  batch: boolean;
  /** The messages, in order (one when not a batch). */
  messages: RpcMessage[];
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function skipWs(t: string, i: number): number {
  while (i < t.length && isWs(t.charCodeAt(i))) i++;
  return i;
}

function skipString(t: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const c = t.charCodeAt(j);
    if (c === 0x22) return j + 1;
    j += c === 0x5c ? 2 : 1;
  }
}

/** End of the (valid) JSON value starting at `i`; iterative. */
function skipValue(t: string, i: number): number {
  const c = t.charCodeAt(i);
  if (c === 0x22) return skipString(t, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    let j = i;
    for (;;) {
      const d = t.charCodeAt(j);
      if (d === 0x22) {
        j = skipString(t, j);
        continue;
      }
      if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        if (--depth === 0) return j + 1;
      }
      j++;
    }
  }
  let j = i;
  while (j < t.length) {
    const d = t.charCodeAt(j);
    if (isWs(d) || d === 0x2c || d === 0x5d || d === 0x7d) break;
    j++;
  }
  return j;
}

/**
 * Go's case folding for struct field lookup (`foldName`): ASCII letters to
 * upper case, other characters to `ToUpper(ToLower(r))`, so `ſ` matches `s`
 * and the Kelvin sign matches `k`, as in `encoding/json`.
 */
function goFoldName(s: string): string {
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) {
      out += ch.toUpperCase();
      continue;
    }
    const f = ch.toLowerCase().toUpperCase();
    out += [...f].length === 1 ? f : ch;
  }
  return out;
}

const FIELDS = new Map<string, keyof RpcMessage>([
  ["JSONRPC", "version"],
  ["ID", "rawId"],
  ["METHOD", "method"],
  ["PARAMS", "rawParams"],
  ["ERROR", "hasError"],
  ["RESULT", "hasResult"],
]);

function emptyMessage(): RpcMessage {
  return { version: "", method: "", hasResult: false, hasError: false };
}

/** Decodes the message whose (valid) JSON text spans `[start, end)`. */
function readMessage(t: string, start: number): RpcMessage {
  const msg = emptyMessage();
  if (t.charCodeAt(start) !== 0x7b) return msg; // not an object: all zero
  let i = skipWs(t, start + 1);
  if (t.charCodeAt(i) === 0x7d) return msg;
  for (;;) {
    const keyEnd = skipString(t, i);
    const key = parseJson(t.slice(i, keyEnd)) as string;
    i = skipWs(t, keyEnd) + 1; // ':'
    i = skipWs(t, i);
    const valueEnd = skipValue(t, i);
    const field = FIELDS.get(goFoldName(key));
    if (field !== undefined) {
      const raw = t.slice(i, valueEnd);
      switch (field) {
        case "version":
        case "method":
          // A non-string is a type error Go skips; `null` leaves it as is.
          if (raw.charCodeAt(0) === 0x22) msg[field] = parseJson(raw) as string;
          break;
        case "rawId":
          msg.rawId = raw;
          break;
        case "rawParams":
          msg.rawParams = raw;
          break;
        case "hasError":
          msg.hasError = true;
          break;
        case "hasResult":
          msg.hasResult = true;
          break;
      }
    }
    i = skipWs(t, valueEnd);
    if (t.charCodeAt(i) === 0x7d) return msg;
    i = skipWs(t, i + 1); // ','
  }
}

/**
 * Decodes a request body (one JSON value) into messages, as geth's
 * `parseMessage`: a body whose first non-space character is `[` is a batch.
 *
 * @param text One complete JSON value.
 * @param opts `validated`: the text is known to be exactly one valid JSON
 *   value (as `JsonStreamDecoder` output is); skips the check.
 * @returns The messages and whether they came as a batch.
 * @throws {SyntaxError} Go's scanner text when `text` is not valid JSON.
 *
 * @example Usage
 * ```ts
 * import { decodeRequest } from "./codec.ts";
 * import { strictEqual } from "node:assert/strict";
 * const { batch, messages } = decodeRequest('{"jsonrpc":"2.0","ID":1.0,"method":"x"}');
 * strictEqual(batch, false);
 * strictEqual(messages[0].rawId, "1.0");
 * ```
 */
export function decodeRequest(
  text: string,
  opts: { validated?: boolean } = {},
): RpcRequest {
  // The transports' stream decoder has already checked the syntax; checking
  // again would build the whole value tree for nothing.
  if (!opts.validated) parseJson(text, { allowOverflow: true });
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) !== 0x5b) {
    return { batch: false, messages: [readMessage(text, i)] };
  }
  const messages: RpcMessage[] = [];
  i = skipWs(text, i + 1);
  if (text.charCodeAt(i) === 0x5d) return { batch: true, messages };
  for (;;) {
    messages.push(readMessage(text, i));
    i = skipWs(text, skipValue(text, i));
    if (text.charCodeAt(i) === 0x5d) return { batch: true, messages };
    i = skipWs(text, i + 1);
  }
}

/**
 * Parses a message's raw `params` text (numbers kept, overflow kept, as
 * geth defers number conversion to each parameter's decoder).
 *
 * @param raw Raw JSON text from {@linkcode RpcMessage.rawParams}.
 * @returns The parsed value.
 */
export function parseParams(raw: string): JsonValue {
  return parseJson(raw, { allowOverflow: true });
}

/**
 * geth `isNotification`: version 2.0, no id, a method.
 *
 * @param m A decoded message.
 * @returns Whether it is a notification (executed, never answered).
 */
export function isNotification(m: RpcMessage): boolean {
  return m.version === "2.0" && m.rawId === undefined && m.method !== "";
}

/**
 * geth `hasValidID`: present and not an object or array.
 *
 * @param m A decoded message.
 * @returns Whether its id may be echoed.
 */
export function hasValidId(m: RpcMessage): boolean {
  if (m.rawId === undefined || m.rawId === "") return false;
  const c = m.rawId.charCodeAt(0);
  return c !== 0x7b && c !== 0x5b;
}

/**
 * geth `isCall`: version 2.0, a valid id, a method.
 *
 * @param m A decoded message.
 * @returns Whether it is a call (answered).
 *
 * @example Usage
 * ```ts
 * import { decodeRequest, isCall, isNotification } from "./codec.ts";
 * import { strictEqual } from "node:assert/strict";
 * const [m] = decodeRequest('{"jsonrpc":"2.0","id":null,"method":"a_b"}').messages;
 * strictEqual(isCall(m), true); // a null id is present
 * strictEqual(isNotification(m), false);
 * ```
 */
export function isCall(m: RpcMessage): boolean {
  return m.version === "2.0" && hasValidId(m) && m.method !== "";
}

/**
 * geth `isResponse`: such messages are answers to our calls; ignored.
 *
 * @param m A decoded message.
 * @returns Whether it looks like a response.
 */
export function isResponse(m: RpcMessage): boolean {
  return m.version === "2.0" && hasValidId(m) && m.method === "" &&
    m.rawParams === undefined && (m.hasResult || m.hasError);
}

/** A JSON-RPC error object (`jsonError`). */
export interface RpcErrorObject {
  /** JSON-RPC error code. */
  code: number;
  /** Error text. */
  message: string;
  /** Optional `data` member (relayed UI errors). */
  data?: unknown;
}

/**
 * Encodes an error object as Go does: `{"code":…,"message":…}` plus `data`
 * when it is set (Go's `omitempty` on an interface: only `nil` is left out).
 *
 * @param err The error object.
 * @returns Its JSON text.
 *
 * @example Usage
 * ```ts
 * import { encodeErrorObject } from "./codec.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(encodeErrorObject({ code: -32000, message: "a<b" }), '{"code":-32000,"message":"a\\u003cb"}');
 * ```
 */
export function encodeErrorObject(err: RpcErrorObject): string {
  let s = `{"code":${err.code},"message":${stringifyJson(err.message)}`;
  if (err.data !== undefined && err.data !== null) {
    s += `,"data":${stringifyJson(err.data)}`;
  }
  return s + "}";
}

/**
 * Writes one response as geth's `appendMessage`: `jsonrpc`, then the raw
 * `id` (left out when undefined), then `error` or `result`.
 *
 * @param rawId Raw id text, echoed verbatim.
 * @param body `{ result }` or `{ error }` as JSON text.
 * @returns The response text (no trailing newline).
 *
 * @example Usage
 * ```ts
 * import { encodeResponse } from "./codec.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(encodeResponse('"a"', { result: "true" }), '{"jsonrpc":"2.0","id":"a","result":true}');
 * ```
 */
export function encodeResponse(
  rawId: string | undefined,
  body: { result: string } | { error: string },
): string {
  let s = '{"jsonrpc":"2.0"';
  if (rawId !== undefined) s += `,"id":${rawId}`;
  if ("error" in body) s += `,"error":${body.error}`;
  else s += `,"result":${body.result}`;
  return s + "}";
}
