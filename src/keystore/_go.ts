/**
 * Go library behaviour the key-file reader reproduces byte for byte:
 * `encoding/hex` decoding errors, `encoding/json` struct decoding (case-
 * insensitive field names, type errors), `google/uuid` parsing and `%q`
 * of a byte.
 *
 * @module
 */
import { JsonNumber, parseJson } from "../json.ts";

/** Go `encoding/hex.DecodeString`, with its error texts. */
export function goHexDecode(s: string): Uint8Array {
  const src = new TextEncoder().encode(s);
  const out = new Uint8Array(src.length >> 1);
  let i = 0;
  let j = 1;
  for (; j < src.length; j += 2) {
    const a = nibble(src[j - 1]);
    const b = nibble(src[j]);
    if (a < 0) throw new SyntaxError(invalidByte(src[j - 1]));
    if (b < 0) throw new SyntaxError(invalidByte(src[j]));
    out[i++] = (a << 4) | b;
  }
  if (src.length % 2 === 1) {
    if (nibble(src[j - 1]) < 0) throw new SyntaxError(invalidByte(src[j - 1]));
    throw new SyntaxError("encoding/hex: odd length hex string");
  }
  return out;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Go `hex.InvalidByteError.Error()`: `%#U` of the byte as a rune. */
function invalidByte(b: number): string {
  const u = "U+" + b.toString(16).toUpperCase().padStart(4, "0");
  return `encoding/hex: invalid byte: ${
    isPrintLatin1(b) ? `${u} '${String.fromCharCode(b)}'` : u
  }`;
}

/** Go `strconv.IsPrint` restricted to U+0000..U+00FF. */
function isPrintLatin1(c: number): boolean {
  return (c >= 0x20 && c < 0x7f) || (c >= 0xa1 && c !== 0xad && c <= 0xff);
}

/** Go `%q` of a byte (a quoted rune literal such as `'X'` or `'\x00'`). */
export function goQuoteByte(b: number): string {
  const esc: Record<number, string> = {
    7: "\\a",
    8: "\\b",
    9: "\\t",
    10: "\\n",
    11: "\\v",
    12: "\\f",
    13: "\\r",
    0x27: "\\'",
    0x5c: "\\\\",
  };
  if (esc[b] !== undefined) return `'${esc[b]}'`;
  if (isPrintLatin1(b)) return `'${String.fromCharCode(b)}'`;
  if (b < 0x80) return `'\\x${b.toString(16).padStart(2, "0")}'`;
  return `'\\u${b.toString(16).padStart(4, "0")}'`;
}

/**
 * Go `uuid.Parse` (google/uuid): canonical, `{...}`, `urn:uuid:` and
 * 32-hex-digit forms. Returns the 16 bytes.
 */
export function goParseUuid(input: string): Uint8Array {
  let s = input;
  const len = new TextEncoder().encode(s).length;
  const out = new Uint8Array(16);
  if (len === 32) {
    for (let i = 0; i < 16; i++) {
      const v = xtob(s, i * 2);
      if (v < 0) throw new SyntaxError("invalid UUID format");
      out[i] = v;
    }
    return out;
  }
  if (len === 45) {
    if (s.slice(0, 9).toLowerCase() !== "urn:uuid:") {
      throw new SyntaxError(
        `invalid urn prefix: ${JSON.stringify(s.slice(0, 9))}`,
      );
    }
    s = s.slice(9);
  } else if (len === 38) {
    s = s.slice(1);
  } else if (len !== 36) {
    throw new SyntaxError(`invalid UUID length: ${len}`);
  }
  if (s[8] !== "-" || s[13] !== "-" || s[18] !== "-" || s[23] !== "-") {
    throw new SyntaxError("invalid UUID format");
  }
  const offsets = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
  for (let i = 0; i < 16; i++) {
    const v = xtob(s, offsets[i]);
    if (v < 0) throw new SyntaxError("invalid UUID format");
    out[i] = v;
  }
  return out;
}

function xtob(s: string, i: number): number {
  const a = nibble(s.charCodeAt(i));
  const b = nibble(s.charCodeAt(i + 1));
  return a < 0 || b < 0 ? -1 : (a << 4) | b;
}

/** Formats 16 bytes as a lowercase canonical UUID string. */
export function formatUuid(b: Uint8Array): string {
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${
    h.slice(16, 20)
  }-${h.slice(20)}`;
}

/**
 * Parses JSON keeping number literals as {@linkcode JsonNumber} (so `3.0`
 * can be told from `3`, as Go's int decoding does), with Go's syntax error
 * texts: the project's one JSON parser, {@linkcode parseJson}.
 */
export function parseJsonKeepNumbers(text: string): unknown {
  return parseJson(text, { allowOverflow: true });
}

/** The JSON kind name Go's `UnmarshalTypeError` uses. */
function kindOf(v: unknown): string {
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number" || v instanceof JsonNumber) return "number";
  if (Array.isArray(v)) return "array";
  return "object";
}

/**
 * Go's case-insensitive JSON field-name match (Unicode simple folding,
 * including `ſ`→`s` and Kelvin `K`→`k`).
 */
export function goFoldEqual(a: string, b: string): boolean {
  const fold = (s: string) => s.replace(/\u017f/g, "s").toLowerCase();
  return fold(a) === fold(b);
}

/** Is `v` a plain JSON object (not null, not an array, not a number box)? */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) &&
    !(v instanceof JsonNumber);
}

/** Go field type for {@linkcode goDecodeStruct}. */
export type GoFieldType =
  | "string"
  | "int"
  | "map" // map[string]interface{}
  | GoStruct;

/** A Go struct: its type name (package-qualified) and JSON fields. */
export interface GoStruct {
  /** e.g. `keystore.CryptoJSON`. */
  type: string;
  /** JSON field name → type, in declaration order. */
  fields: Record<string, GoFieldType>;
}

/**
 * Decodes a parsed JSON value into a Go struct the way `json.Unmarshal`
 * does: keys match field names case-insensitively (last key wins), unknown
 * keys are ignored, `null` leaves the zero value, and the first type error
 * in document order is thrown as Go words it.
 *
 * @throws {TypeError} `json: cannot unmarshal <kind> into Go struct field
 *   <Struct>.<path> of type <type>`.
 */
export function goDecodeStruct(
  value: unknown,
  struct: GoStruct,
): Record<string, unknown> {
  let firstError: TypeError | undefined;
  const fail = (msg: string) => {
    firstError ??= new TypeError(msg);
  };
  const decode = (
    v: unknown,
    t: GoFieldType,
    owner: string,
    path: string[],
  ): unknown => {
    const where = path.length
      ? `Go struct field ${owner}.${path.join(".")}`
      : `Go value`;
    if (v === null) return zeroOf(t);
    if (t === "string") {
      if (typeof v === "string") return v;
      fail(`json: cannot unmarshal ${kindOf(v)} into ${where} of type string`);
      return "";
    }
    if (t === "int") {
      if (typeof v === "number") { // already-parsed input (JSON.parse)
        if (Number.isSafeInteger(v)) return v;
        fail(`json: cannot unmarshal number ${v} into ${where} of type int`);
        return 0;
      }
      if (v instanceof JsonNumber) {
        const lit = v.literal;
        if (/^-?\d+$/.test(lit)) {
          const big = BigInt(lit);
          if (big >= -(2n ** 63n) && big < 2n ** 63n) return Number(big);
        }
        fail(`json: cannot unmarshal number ${lit} into ${where} of type int`);
        return 0;
      }
      fail(`json: cannot unmarshal ${kindOf(v)} into ${where} of type int`);
      return 0;
    }
    if (t === "map") {
      if (isJsonObject(v)) return v;
      fail(
        `json: cannot unmarshal ${
          kindOf(v)
        } into ${where} of type map[string]interface {}`,
      );
      return {};
    }
    if (!isJsonObject(v)) {
      fail(
        `json: cannot unmarshal ${kindOf(v)} into ${where} of type ${t.type}`,
      );
      return zeroOf(t);
    }
    const out = zeroOf(t) as Record<string, unknown>;
    const name = t.type.slice(t.type.indexOf(".") + 1);
    const names = Object.keys(t.fields);
    for (const [key, val] of Object.entries(v)) {
      const field = names.find((n) => n === key) ??
        names.find((n) => goFoldEqual(n, key));
      if (field === undefined) continue;
      out[field] = decode(val, t.fields[field], name, [...path, field]);
    }
    return out;
  };
  const result = decode(value, struct, "", []);
  if (firstError) throw firstError;
  return result as Record<string, unknown>;
}

function zeroOf(t: GoFieldType): unknown {
  if (t === "string") return "";
  if (t === "int") return 0;
  if (t === "map") return {};
  const out: Record<string, unknown> = {};
  for (const [k, ft] of Object.entries(t.fields)) out[k] = zeroOf(ft);
  return out;
}
