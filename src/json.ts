/**
 * JSON with Go `encoding/json` semantics where clef's behaviour depends on
 * them: number literals are kept (EIP-712 `chainId`, Gnosis integers are
 * decoded from the literal text, not through a double), numbers that
 * overflow a double are rejected, nesting depth is capped, and output
 * escapes as Go does (`<` → `\u003c`, ...).
 *
 * Parsed values use plain arrays, strings, booleans, `null`, null-prototype
 * objects (so `__proto__` is an ordinary key) and {@linkcode JsonNumber}.
 *
 * @module
 */

/** A JSON number that remembers its literal text. */
export class JsonNumber {
  /** The literal exactly as it appeared in the input, e.g. `1.0`, `1e3`. */
  readonly literal: string;
  /**
   * Wraps a number literal (not validated; {@linkcode parseJson} makes them).
   *
   * @param literal JSON number text.
   */
  constructor(literal: string) {
    this.literal = literal;
  }
  /** The IEEE-754 double value (Go's `float64` decoding). */
  get value(): number {
    return Number(this.literal);
  }
  /**
   * The double value, so arithmetic and comparisons work.
   *
   * @returns {@linkcode JsonNumber.value}.
   */
  valueOf(): number {
    return this.value;
  }
  /**
   * For `JSON.stringify`: the double value ({@linkcode stringifyJson}
   * writes the literal instead).
   *
   * @returns {@linkcode JsonNumber.value}.
   */
  toJSON(): number {
    return this.value;
  }
}

/** A parsed JSON value. */
export type JsonValue =
  | null
  | boolean
  | string
  | JsonNumber
  | JsonValue[]
  | { [key: string]: JsonValue };

/** A parsed JSON object (null prototype). */
export type JsonObject = { [key: string]: JsonValue };

/**
 * Maximum nesting depth of arrays and objects, as Go's `encoding/json`
 * scanner (`maxNestingDepth`): 10,000 levels pass, 10,001 fail with
 * `invalid character '[' exceeded max depth`.
 */
export const MAX_JSON_DEPTH = 10000;

/** Options for {@linkcode parseJson}. */
export interface ParseJsonOptions {
  /** Deepest nesting accepted (default {@linkcode MAX_JSON_DEPTH}). */
  maxDepth?: number;
  /**
   * Keep numbers that overflow a double instead of rejecting them (default
   * false). The RPC layer sets it: Go decodes the request envelope into
   * `json.RawMessage`, so `1e400` only fails once a parameter decoder turns
   * it into a `float64`.
   */
  allowOverflow?: boolean;
}

const WS_SP = 0x20, WS_TAB = 0x09, WS_LF = 0x0a, WS_CR = 0x0d;

function isWs(c: number): boolean {
  return c === WS_SP || c === WS_TAB || c === WS_LF || c === WS_CR;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) ||
    (c >= 0x41 && c <= 0x46);
}

/**
 * Go's `quoteChar(c)` from `encoding/json/scanner.go`: a byte quoted with
 * `strconv.Quote` rules between single quotes (used in syntax errors).
 *
 * @param b A byte (0–255); for non-ASCII input, the first UTF-8 byte.
 * @returns E.g. `'x'`, `'\''`, `'\n'`, `'\x01'`, `'Ã'`.
 *
 * @example Usage
 * ```ts
 * import { goQuoteJsonByte } from "./json.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(goQuoteJsonByte(0x27), "'\\''");
 * strictEqual(goQuoteJsonByte(0x0a), "'\\n'");
 * ```
 */
export function goQuoteJsonByte(b: number): string {
  if (b === 0x27) return `'\\''`;
  if (b === 0x22) return `'"'`;
  let s: string;
  switch (b) {
    case 0x07:
      s = "\\a";
      break;
    case 0x08:
      s = "\\b";
      break;
    case 0x0c:
      s = "\\f";
      break;
    case 0x0a:
      s = "\\n";
      break;
    case 0x0d:
      s = "\\r";
      break;
    case 0x09:
      s = "\\t";
      break;
    case 0x0b:
      s = "\\v";
      break;
    case 0x5c:
      s = "\\\\";
      break;
    default:
      if (b < 0x20 || b === 0x7f) {
        s = "\\x" + b.toString(16).padStart(2, "0");
      } else if ((b >= 0x80 && b <= 0xa0) || b === 0xad) {
        // Not printable per Go's unicode.IsPrint (C1 controls, NBSP, SHY).
        s = "\\u" + b.toString(16).padStart(4, "0");
      } else {
        s = String.fromCharCode(b);
      }
  }
  return `'${s}'`;
}

/** First UTF-8 byte of the code point at `i` (lone surrogate → U+FFFD). */
function firstUtf8Byte(text: string, i: number): number {
  const cp = text.codePointAt(i)!;
  if (cp < 0x80) return cp;
  if (cp < 0x800) return 0xc0 | (cp >> 6);
  if (cp >= 0xd800 && cp <= 0xdfff) return 0xef;
  if (cp < 0x10000) return 0xe0 | (cp >> 12);
  return 0xf0 | (cp >> 18);
}

function syntaxAt(byte: number, context: string): SyntaxError {
  return new SyntaxError(
    `invalid character ${goQuoteJsonByte(byte)} ${context}`,
  );
}

function eofError(): SyntaxError {
  return new SyntaxError("unexpected end of JSON input");
}

type Frame =
  | { arr: JsonValue[]; obj?: undefined; key?: undefined }
  | { arr?: undefined; obj: JsonObject; key: string };

/**
 * Parses JSON text with Go `encoding/json` rules (RFC 8259, strict).
 *
 * Numbers become {@linkcode JsonNumber}s keeping their literal; objects have
 * a null prototype and a repeated key keeps the later value; strings decode
 * escapes as Go does (a lone surrogate becomes U+FFFD). The parser is
 * iterative, so deep input cannot overflow the call stack.
 *
 * @param text The JSON text.
 * @param opts Depth cap and overflow handling.
 * @returns The parsed value.
 * @throws {SyntaxError} With Go's scanner text, e.g.
 *   `invalid character 'x' looking for beginning of value`,
 *   `unexpected end of JSON input`, `invalid character '[' exceeded max depth`.
 * @throws {RangeError} `json: cannot unmarshal number 1e400 into Go value of
 *   type float64` for a number that overflows a double (after the whole text
 *   was found syntactically valid, as Go checks syntax first).
 *
 * @example Usage
 * ```ts
 * import { JsonNumber, parseJson } from "./json.ts";
 * import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
 * const v = parseJson('{"a":[1.0,true]}') as { a: [JsonNumber, boolean] };
 * strictEqual(v.a[0].literal, "1.0");
 * strictEqual(v.a[1], true);
 * throws(() => parseJson("{'a':1}"), SyntaxError);
 * deepStrictEqual(parseJson("null"), null);
 * ```
 */
export function parseJson(
  text: string,
  opts: ParseJsonOptions = {},
): JsonValue {
  const maxDepth = opts.maxDepth ?? MAX_JSON_DEPTH;
  const n = text.length;
  const stack: Frame[] = [];
  let overflow: string | undefined;
  let i = 0;
  let value: JsonValue;

  const skipWs = () => {
    while (i < n && isWs(text.charCodeAt(i))) i++;
  };
  const err = (context: string) => syntaxAt(firstUtf8Byte(text, i), context);

  const readString = (): string => {
    // text[i] is the opening quote.
    i++;
    let out = "";
    let run = i;
    for (;;) {
      if (i >= n) throw eofError();
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(run, i);
        i++;
        return out;
      }
      if (c < 0x20) throw err("in string literal");
      if (c === 0x5c) {
        out += text.slice(run, i);
        i++;
        if (i >= n) throw eofError();
        const e = text.charCodeAt(i);
        switch (e) {
          case 0x22:
          case 0x5c:
          case 0x2f:
            out += String.fromCharCode(e);
            i++;
            break;
          case 0x62:
            out += "\b";
            i++;
            break;
          case 0x66:
            out += "\f";
            i++;
            break;
          case 0x6e:
            out += "\n";
            i++;
            break;
          case 0x72:
            out += "\r";
            i++;
            break;
          case 0x74:
            out += "\t";
            i++;
            break;
          case 0x75: {
            i++;
            const u = readHex4();
            if (u >= 0xd800 && u < 0xdc00) {
              // A high surrogate pairs only with a following \uDC00-\uDFFF.
              if (
                text.charCodeAt(i) === 0x5c && text.charCodeAt(i + 1) === 0x75
              ) {
                const save = i;
                i += 2;
                const lo = readHex4();
                if (lo >= 0xdc00 && lo <= 0xdfff) {
                  out += String.fromCharCode(u, lo);
                } else {
                  out += "\ufffd";
                  i = save;
                }
              } else {
                out += "\ufffd";
              }
            } else if (u >= 0xdc00 && u <= 0xdfff) {
              out += "\ufffd";
            } else {
              out += String.fromCharCode(u);
            }
            break;
          }
          default:
            throw err("in string escape code");
        }
        run = i;
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        // Lone surrogates stand for invalid UTF-8, which Go replaces.
        const lo = text.charCodeAt(i + 1);
        if (c < 0xdc00 && lo >= 0xdc00 && lo <= 0xdfff) {
          i += 2;
          continue;
        }
        out += text.slice(run, i) + "\ufffd";
        i++;
        run = i;
        continue;
      }
      i++;
    }
  };

  const readHex4 = (): number => {
    let u = 0;
    for (let k = 0; k < 4; k++) {
      if (i >= n) throw eofError();
      const h = text.charCodeAt(i);
      if (!isHexDigit(h)) throw err("in \\u hexadecimal character escape");
      u = u * 16 + parseInt(text[i], 16);
      i++;
    }
    return u;
  };

  const readNumber = (): JsonNumber => {
    const start = i;
    if (text.charCodeAt(i) === 0x2d) {
      i++;
      if (i >= n) throw eofError();
      if (!isDigit(text.charCodeAt(i))) throw err("in numeric literal");
    }
    if (text.charCodeAt(i) === 0x30) {
      i++;
    } else {
      while (i < n && isDigit(text.charCodeAt(i))) i++;
    }
    if (i < n && text.charCodeAt(i) === 0x2e) {
      i++;
      if (i >= n) throw eofError();
      if (!isDigit(text.charCodeAt(i))) {
        throw err("after decimal point in numeric literal");
      }
      while (i < n && isDigit(text.charCodeAt(i))) i++;
    }
    if (i < n && (text.charCodeAt(i) | 0x20) === 0x65) {
      i++;
      if (
        i < n && (text.charCodeAt(i) === 0x2b || text.charCodeAt(i) === 0x2d)
      ) {
        i++;
      }
      if (i >= n) throw eofError();
      if (!isDigit(text.charCodeAt(i))) {
        throw err("in exponent of numeric literal");
      }
      while (i < n && isDigit(text.charCodeAt(i))) i++;
    }
    const literal = text.slice(start, i);
    if (overflow === undefined && !Number.isFinite(Number(literal))) {
      overflow = literal;
    }
    return new JsonNumber(literal);
  };

  const readLiteral = (word: string) => {
    for (let k = 1; k < word.length; k++) {
      if (i >= n) throw eofError();
      if (text.charCodeAt(i) !== word.charCodeAt(k)) {
        throw err(`in literal ${word} (expecting '${word[k]}')`);
      }
      i++;
    }
  };

  const readKey = (frame: { obj: JsonObject; key: string }) => {
    skipWs();
    if (i >= n) throw eofError();
    if (text.charCodeAt(i) !== 0x22) {
      throw err("looking for beginning of object key string");
    }
    frame.key = readString();
    skipWs();
    if (i >= n) throw eofError();
    if (text.charCodeAt(i) !== 0x3a) throw err("after object key");
    i++;
  };

  const push = (frame: Frame) => {
    stack.push(frame);
    if (stack.length > maxDepth) throw err("exceeded max depth");
    i++;
  };

  outer: for (;;) {
    skipWs();
    if (i >= n) throw eofError();
    const c = text.charCodeAt(i);
    switch (c) {
      case 0x7b: { // {
        const frame = { obj: Object.create(null) as JsonObject, key: "" };
        push(frame);
        skipWs();
        if (i < n && text.charCodeAt(i) === 0x7d) {
          i++;
          stack.pop();
          value = frame.obj;
          break;
        }
        readKey(frame);
        continue outer;
      }
      case 0x5b: { // [
        const frame = { arr: [] as JsonValue[] };
        push(frame);
        skipWs();
        if (i < n && text.charCodeAt(i) === 0x5d) {
          i++;
          stack.pop();
          value = frame.arr;
          break;
        }
        continue outer;
      }
      case 0x22:
        value = readString();
        break;
      case 0x74:
        i++;
        readLiteral("true");
        value = true;
        break;
      case 0x66:
        i++;
        readLiteral("false");
        value = false;
        break;
      case 0x6e:
        i++;
        readLiteral("null");
        value = null;
        break;
      default:
        if (c === 0x2d || isDigit(c)) {
          value = readNumber();
          break;
        }
        throw err("looking for beginning of value");
    }
    // A value is complete: hand it to its container, closing as many
    // containers as the input closes.
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        skipWs();
        if (i < n) throw err("after top-level value");
        if (overflow !== undefined && !opts.allowOverflow) {
          throw new RangeError(
            `json: cannot unmarshal number ${overflow} into Go value of type float64`,
          );
        }
        return value;
      }
      if (top.arr) top.arr.push(value);
      else top.obj[top.key] = value;
      skipWs();
      if (i >= n) throw eofError();
      const d = text.charCodeAt(i);
      if (d === 0x2c) {
        i++;
        if (top.obj) readKey(top);
        continue outer;
      }
      if (top.arr ? d === 0x5d : d === 0x7d) {
        i++;
        stack.pop();
        value = top.arr ?? top.obj!;
        continue;
      }
      throw err(
        top.arr ? "after array element" : "after object key:value pair",
      );
    }
  }
}

const HEX = "0123456789abcdef";

/**
 * Quotes a string as Go's `encoding/json` encoder does with HTML escaping
 * (the default of `json.Marshal` and `json.Encoder`).
 *
 * `<`, `>`, `&` → `\u003c`, `\u003e`, `\u0026`; U+2028/U+2029 escaped;
 * `\n`, `\r`, `\t`, `\b`, `\f` short escapes, other control characters as
 * `\u00XX`; a lone surrogate (invalid UTF-8 in Go) → `\ufffd`.
 *
 * @param s The string.
 * @returns The JSON string literal including quotes.
 *
 * @example Usage
 * ```ts
 * import { quoteJsonString } from "./json.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(quoteJsonString("<a&b>\n"), '"\\u003ca\\u0026b\\u003e\\n"');
 * ```
 */
export function quoteJsonString(s: string): string {
  let out = '"';
  let run = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (
      c < 0x20 || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e ||
      c === 0x26
    ) {
      switch (c) {
        case 0x22:
          esc = '\\"';
          break;
        case 0x5c:
          esc = "\\\\";
          break;
        case 0x0a:
          esc = "\\n";
          break;
        case 0x0d:
          esc = "\\r";
          break;
        case 0x09:
          esc = "\\t";
          break;
        case 0x08:
          esc = "\\b";
          break;
        case 0x0c:
          esc = "\\f";
          break;
        default:
          esc = "\\u00" + HEX[c >> 4] + HEX[c & 15];
      }
    } else if (c === 0x2028 || c === 0x2029) {
      esc = c === 0x2028 ? "\\u2028" : "\\u2029";
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const lo = s.charCodeAt(i + 1);
      if (c < 0xdc00 && lo >= 0xdc00 && lo <= 0xdfff) {
        i++;
        continue;
      }
      esc = "\\ufffd";
    } else {
      continue;
    }
    out += s.slice(run, i) + esc;
    run = i + 1;
  }
  return out + s.slice(run) + '"';
}

function goFloatString(x: number): string {
  if (!Number.isFinite(x)) {
    throw new TypeError(
      `json: unsupported value: ${
        Number.isNaN(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf"
      }`,
    );
  }
  if (Object.is(x, -0)) return "-0";
  return String(x);
}

function base64Std(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

/**
 * Serialises a value as Go's `json.Marshal` would write it: no whitespace,
 * Go's string escaping ({@linkcode quoteJsonString}), a
 * {@linkcode JsonNumber} as its literal, `toJSON()` honoured (after the
 * JsonNumber check), a `bigint` as its decimal digits, a `Uint8Array` as
 * standard padded base64 (Go `[]byte`). Object members are written in
 * property order; `undefined`/functions/symbols are skipped in objects and
 * written as `null` in arrays (as `JSON.stringify`).
 *
 * @param value The value to write.
 * @returns The JSON text (`"null"` for a top-level `undefined`).
 * @throws {TypeError} `json: unsupported value: +Inf` (NaN/±Infinity, as Go)
 *   or `json: unsupported value: encountered a cycle` for a cycle.
 *
 * @example Usage
 * ```ts
 * import { JsonNumber, stringifyJson } from "./json.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(
 *   stringifyJson({ id: new JsonNumber("1.0"), s: "<>", b: [true, null] }),
 *   '{"id":1.0,"s":"\\u003c\\u003e","b":[true,null]}',
 * );
 * ```
 */
export function stringifyJson(value: unknown): string {
  const parts: string[] = [];
  const seen = new Set<object>();
  // Iterative walk: values parsed up to MAX_JSON_DEPTH deep must not
  // overflow the call stack when written back out.
  type Task =
    | { kind: "value"; v: unknown; key: string }
    | { kind: "text"; s: string }
    | { kind: "leave"; o: object };
  const tasks: Task[] = [{ kind: "value", v: value, key: "" }];
  while (tasks.length > 0) {
    const t = tasks.pop()!;
    if (t.kind === "text") {
      parts.push(t.s);
      continue;
    }
    if (t.kind === "leave") {
      seen.delete(t.o);
      continue;
    }
    let v = t.v;
    if (v instanceof JsonNumber) {
      parts.push(v.literal);
      continue;
    }
    if (
      v !== null && (typeof v === "object" || typeof v === "bigint") &&
      typeof (v as { toJSON?: unknown }).toJSON === "function"
    ) {
      v = (v as { toJSON(key: string): unknown }).toJSON(t.key);
      if (v instanceof JsonNumber) {
        parts.push(v.literal);
        continue;
      }
    }
    switch (typeof v) {
      case "string":
        parts.push(quoteJsonString(v));
        continue;
      case "number":
        parts.push(goFloatString(v));
        continue;
      case "boolean":
        parts.push(v ? "true" : "false");
        continue;
      case "bigint":
        parts.push(v.toString());
        continue;
      case "undefined":
      case "function":
      case "symbol":
        parts.push("null");
        continue;
    }
    if (v === null) {
      parts.push("null");
      continue;
    }
    const o = v as object;
    if (o instanceof Uint8Array) {
      parts.push('"' + base64Std(o) + '"');
      continue;
    }
    if (seen.has(o)) {
      throw new TypeError("json: unsupported value: encountered a cycle");
    }
    seen.add(o);
    // Tasks run last-in first-out, so push the closing part first.
    if (Array.isArray(o)) {
      tasks.push({ kind: "leave", o }, { kind: "text", s: "]" });
      for (let k = o.length - 1; k >= 0; k--) {
        tasks.push({ kind: "value", v: o[k], key: String(k) });
        if (k > 0) tasks.push({ kind: "text", s: "," });
      }
      parts.push("[");
      continue;
    }
    const members: Task[] = [];
    for (const key of Object.keys(o)) {
      const mv = (o as Record<string, unknown>)[key];
      if (
        mv === undefined || typeof mv === "function" || typeof mv === "symbol"
      ) continue;
      members.push({
        kind: "text",
        s: (members.length > 0 ? "," : "") + quoteJsonString(key) + ":",
      }, { kind: "value", v: mv, key });
    }
    tasks.push({ kind: "leave", o }, { kind: "text", s: "}" });
    for (let k = members.length - 1; k >= 0; k--) tasks.push(members[k]);
    parts.push("{");
  }
  return parts.join("");
}

/**
 * Default cap on one JSON value buffered by {@linkcode JsonStreamDecoder}.
 * Clef's IPC has no limit; stave bounds memory per connection. 32 MiB is
 * six times the HTTP body limit (5 MiB) and far above anything geth sends
 * (a blob transaction with six blobs is about 1.6 MiB of hex).
 */
export const MAX_JSON_STREAM_VALUE_BYTES = 32 * 1024 * 1024;

/** Options for {@linkcode JsonStreamDecoder}. */
export interface JsonStreamDecoderOptions {
  /** Deepest nesting accepted (default {@linkcode MAX_JSON_DEPTH}). */
  maxDepth?: number;
  /** Largest single value in bytes (default {@linkcode MAX_JSON_STREAM_VALUE_BYTES}). */
  maxValueBytes?: number;
}

// Scanner states (a byte-level copy of the grammar of Go's scanner.go).
const S_VALUE = 0, // expecting a value (top level: may skip whitespace)
  S_VALUE_OR_CLOSE = 1, // after '['
  S_KEY_OR_CLOSE = 2, // after '{'
  S_KEY = 3, // after ',' in an object
  S_STR = 4,
  S_STR_ESC = 5,
  S_STR_U = 6, // + number of hex digits seen (6..9)
  S_NEG = 10,
  S_INT = 11,
  S_ZERO = 12,
  S_DOT = 13,
  S_FRAC = 14,
  S_E = 15,
  S_ESIGN = 16,
  S_EXP = 17,
  S_LIT = 18,
  S_END = 19, // after a value inside a container
  S_SCALAR_END = 20; // after a top-level string or literal: done on the next byte
const K_ARRAY = 0, K_OBJ_KEY = 1, K_OBJ_VALUE = 2;

/**
 * Splits a byte stream into complete JSON values, as Go's `json.Decoder`
 * does for geth's IPC framing (values separated by any whitespace or none).
 * Each value is validated with Go's scanner rules while it arrives, so a
 * syntax error is reported as soon as its byte is seen, with Go's text.
 *
 * A top-level number, string or literal is complete only when the byte
 * after it arrives (or at {@linkcode JsonStreamDecoder.prototype.end}), as
 * in Go; objects and arrays are complete at their last byte.
 *
 * @example Usage
 * ```ts
 * import { JsonStreamDecoder } from "./json.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 * const d = new JsonStreamDecoder();
 * const enc = new TextEncoder();
 * deepStrictEqual(d.push(enc.encode('{"a":1} [2')), ['{"a":1}']);
 * deepStrictEqual(d.push(enc.encode(']\n')), ["[2]"]);
 * ```
 */
export class JsonStreamDecoder {
  #maxDepth: number;
  #maxBytes: number;
  #state = S_VALUE;
  #kinds: number[] = [];
  #lit = "";
  #litPos = 0;
  #parts: Uint8Array[] = [];
  #partBytes = 0;
  #inValue = false;
  #failed: Error | undefined;
  #decoder = new TextDecoder();

  /**
   * Creates a decoder at the start of a stream.
   *
   * @param opts Depth and size caps.
   */
  constructor(opts: JsonStreamDecoderOptions = {}) {
    this.#maxDepth = opts.maxDepth ?? MAX_JSON_DEPTH;
    this.#maxBytes = opts.maxValueBytes ?? MAX_JSON_STREAM_VALUE_BYTES;
  }

  /** Bytes of the incomplete value held so far. */
  get bufferedBytes(): number {
    return this.#partBytes;
  }

  /**
   * Feeds bytes; returns the JSON texts completed by them, in order.
   *
   * @param chunk Next bytes of the stream (copied where kept); a string is
   *   taken as its UTF-8 bytes.
   * @returns Complete values as UTF-8-decoded text (invalid bytes → U+FFFD).
   * @throws {SyntaxError} Go's scanner text; the stream cannot continue.
   *   Values completed earlier in the same chunk are attached as
   *   `error.values` (a `string[]`) so they can still be served.
   * @throws {RangeError} `message too large: exceeds <n> bytes`.
   */
  push(chunk: Uint8Array | string): string[] {
    if (typeof chunk === "string") chunk = new TextEncoder().encode(chunk);
    if (this.#failed) throw this.#failed;
    const out: string[] = [];
    let start = this.#inValue ? 0 : -1;
    const emit = (end: number) => {
      const piece = chunk.subarray(start, end);
      if (this.#partBytes + piece.length > this.#maxBytes) tooLarge();
      let bytes = piece;
      if (this.#parts.length > 0) {
        bytes = new Uint8Array(this.#partBytes + piece.length);
        let off = 0;
        for (const p of this.#parts) {
          bytes.set(p, off);
          off += p.length;
        }
        bytes.set(piece, off);
      }
      this.#parts = [];
      this.#partBytes = 0;
      this.#inValue = false;
      start = -1;
      out.push(this.#decoder.decode(bytes));
    };
    const fail = (e: Error): never => {
      this.#failed = e;
      this.#parts = [];
      this.#partBytes = 0;
      (e as Error & { values?: string[] }).values = out;
      throw e;
    };
    const bad = (c: number, context: string) => fail(syntaxAt(c, context));
    const tooLarge = () =>
      fail(
        new RangeError(`message too large: exceeds ${this.#maxBytes} bytes`),
      );
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      const c = chunk[i];
      switch (this.#state) {
        case S_VALUE:
        case S_VALUE_OR_CLOSE:
          if (isWs(c)) {
            i++;
            continue;
          }
          if (this.#state === S_VALUE_OR_CLOSE && c === 0x5d) {
            this.#pop();
            i++;
            if (this.#kinds.length === 0) {
              emit(i);
              this.#state = S_VALUE;
            }
            continue;
          }
          if (this.#kinds.length === 0) {
            start = i;
            this.#inValue = true;
          }
          switch (c) {
            case 0x7b:
              if (this.#kinds.push(K_OBJ_KEY) > this.#maxDepth) {
                bad(c, "exceeded max depth");
              }
              this.#state = S_KEY_OR_CLOSE;
              break;
            case 0x5b:
              if (this.#kinds.push(K_ARRAY) > this.#maxDepth) {
                bad(c, "exceeded max depth");
              }
              this.#state = S_VALUE_OR_CLOSE;
              break;
            case 0x22:
              this.#state = S_STR;
              break;
            case 0x2d:
              this.#state = S_NEG;
              break;
            case 0x30:
              this.#state = S_ZERO;
              break;
            case 0x74:
              this.#lit = "true";
              this.#litPos = 1;
              this.#state = S_LIT;
              break;
            case 0x66:
              this.#lit = "false";
              this.#litPos = 1;
              this.#state = S_LIT;
              break;
            case 0x6e:
              this.#lit = "null";
              this.#litPos = 1;
              this.#state = S_LIT;
              break;
            default:
              if (c >= 0x31 && c <= 0x39) {
                this.#state = S_INT;
                break;
              }
              bad(c, "looking for beginning of value");
          }
          i++;
          continue;
        case S_KEY_OR_CLOSE:
        case S_KEY:
          if (isWs(c)) {
            i++;
            continue;
          }
          if (this.#state === S_KEY_OR_CLOSE && c === 0x7d) {
            this.#pop();
            i++;
            if (this.#kinds.length === 0) {
              emit(i);
              this.#state = S_VALUE;
            }
            continue;
          }
          if (c !== 0x22) bad(c, "looking for beginning of object key string");
          this.#state = S_STR;
          i++;
          continue;
        case S_STR:
          // Fast path over ordinary string bytes.
          while (i < n) {
            const d = chunk[i];
            if (d === 0x22 || d === 0x5c || d < 0x20) break;
            i++;
          }
          if (i >= n) continue;
          if (chunk[i] === 0x22) {
            i++;
            this.#scalarDone(i, emit);
          } else if (chunk[i] === 0x5c) {
            this.#state = S_STR_ESC;
            i++;
          } else {
            bad(chunk[i], "in string literal");
          }
          continue;
        case S_STR_ESC:
          if (
            c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 ||
            c === 0x74 || c === 0x5c || c === 0x2f || c === 0x22
          ) {
            this.#state = S_STR;
          } else if (c === 0x75) {
            this.#state = S_STR_U;
          } else {
            bad(c, "in string escape code");
          }
          i++;
          continue;
        case S_STR_U:
        case S_STR_U + 1:
        case S_STR_U + 2:
        case S_STR_U + 3:
          if (!isHexDigit(c)) bad(c, "in \\u hexadecimal character escape");
          this.#state = this.#state === S_STR_U + 3 ? S_STR : this.#state + 1;
          i++;
          continue;
        case S_NEG:
          if (c === 0x30) this.#state = S_ZERO;
          else if (c >= 0x31 && c <= 0x39) this.#state = S_INT;
          else bad(c, "in numeric literal");
          i++;
          continue;
        case S_INT:
          if (isDigit(c)) {
            i++;
            continue;
          }
        // falls through
        case S_ZERO:
          if (c === 0x2e) {
            this.#state = S_DOT;
            i++;
            continue;
          }
          if (c === 0x65 || c === 0x45) {
            this.#state = S_E;
            i++;
            continue;
          }
          this.#valueDone(i, emit); // the byte is not consumed
          continue;
        case S_DOT:
          if (!isDigit(c)) bad(c, "after decimal point in numeric literal");
          this.#state = S_FRAC;
          i++;
          continue;
        case S_FRAC:
          if (isDigit(c)) {
            i++;
            continue;
          }
          if (c === 0x65 || c === 0x45) {
            this.#state = S_E;
            i++;
            continue;
          }
          this.#valueDone(i, emit);
          continue;
        case S_E:
          if (c === 0x2b || c === 0x2d) {
            this.#state = S_ESIGN;
            i++;
            continue;
          }
        // falls through
        case S_ESIGN:
          if (!isDigit(c)) bad(c, "in exponent of numeric literal");
          this.#state = S_EXP;
          i++;
          continue;
        case S_EXP:
          if (isDigit(c)) {
            i++;
            continue;
          }
          this.#valueDone(i, emit);
          continue;
        case S_LIT: {
          const want = this.#lit.charCodeAt(this.#litPos);
          if (c !== want) {
            bad(
              c,
              `in literal ${this.#lit} (expecting '${
                this.#lit[this.#litPos]
              }')`,
            );
          }
          i++;
          if (++this.#litPos === this.#lit.length) this.#scalarDone(i, emit);
          continue;
        }
        case S_SCALAR_END:
          this.#valueDone(i, emit); // the byte is not consumed
          continue;
        case S_END: {
          if (isWs(c)) {
            i++;
            continue;
          }
          const top = this.#kinds.length - 1;
          const kind = this.#kinds[top];
          if (kind === K_OBJ_KEY) {
            if (c !== 0x3a) bad(c, "after object key");
            this.#kinds[top] = K_OBJ_VALUE;
            this.#state = S_VALUE;
          } else if (kind === K_OBJ_VALUE) {
            if (c === 0x2c) {
              this.#kinds[top] = K_OBJ_KEY;
              this.#state = S_KEY;
            } else if (c === 0x7d) {
              this.#pop();
              if (this.#kinds.length === 0) {
                emit(i + 1);
                this.#state = S_VALUE;
              }
            } else {
              bad(c, "after object key:value pair");
            }
          } else {
            if (c === 0x2c) {
              this.#state = S_VALUE;
            } else if (c === 0x5d) {
              this.#pop();
              if (this.#kinds.length === 0) {
                emit(i + 1);
                this.#state = S_VALUE;
              }
            } else {
              bad(c, "after array element");
            }
          }
          i++;
          continue;
        }
      }
    }
    if (this.#inValue && start >= 0) {
      const rest = chunk.slice(start);
      this.#parts.push(rest);
      this.#partBytes += rest.length;
    }
    if (this.#partBytes > this.#maxBytes) tooLarge();
    return out;
  }

  /**
   * Ends the stream: returns a pending top-level number, or reports a value
   * cut short (Go's `json.Decoder` gives `unexpected EOF` then).
   *
   * @returns `{ values, truncated }`: values completed by the end of input,
   *   and whether an incomplete value was left over.
   */
  end(): { values: string[]; truncated: boolean } {
    if (this.#failed) return { values: [], truncated: false };
    if (!this.#inValue) return { values: [], truncated: false };
    const s = this.#state;
    if (
      this.#kinds.length === 0 &&
      (s === S_INT || s === S_ZERO || s === S_FRAC || s === S_EXP ||
        s === S_SCALAR_END)
    ) {
      const values = this.push(new Uint8Array([0x20]));
      return { values, truncated: false };
    }
    this.#parts = [];
    this.#partBytes = 0;
    return { values: [], truncated: true };
  }

  #pop() {
    this.#kinds.pop();
    this.#state = S_END;
  }

  /**
   * A string or literal ended. Inside a container it is done; at the top
   * level Go's decoder reports it only when the next byte arrives (only
   * objects and arrays are done at their last byte).
   */
  #scalarDone(end: number, emit: (end: number) => void) {
    if (this.#kinds.length === 0) this.#state = S_SCALAR_END;
    else this.#valueDone(end, emit);
  }

  #valueDone(end: number, emit: (end: number) => void) {
    if (this.#kinds.length === 0) {
      emit(end);
      this.#state = S_VALUE;
    } else {
      this.#state = S_END;
    }
  }
}
