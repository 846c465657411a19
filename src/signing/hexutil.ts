/**
 * go-ethereum `common/hexutil` and `common` JSON decoding with Go's exact
 * error texts (spec external-api.md §2.2).
 *
 * Decoders take an already parsed {@linkcode JsonValue} plus an optional
 * {@linkcode FieldContext}; a failure throws an {@linkcode UnmarshalTypeError}
 * (a `TypeError`, worded like Go's `json.UnmarshalTypeError`) or a
 * `RangeError` for the plain fixed-length message. `rpc/dispatch.ts` turns
 * either into `-32602 invalid argument <i>: <message>`.
 *
 * Known limit: Go's hexutil decoders see the raw JSON text, so a JSON
 * escape inside a hex string (`"0x\u0031"`) is rejected by Go but accepted
 * here (the parser has already resolved the escape).
 *
 * @module
 */
import type { JsonValue } from "../json.ts";
import { MixedcaseAddress } from "../address.ts";
import { JsonNumber } from "../json.ts";

/** Where a value sits in a Go struct, for `Go struct field S.f` errors. */
export interface FieldContext {
  /** Go struct name, e.g. `SendTxArgs`. */
  struct: string;
  /** JSON field path, e.g. `gas` or `accessList.address`. */
  field: string;
}

/** hexutil's decoding error texts (`decError`). */
export const HexError = {
  emptyString: "empty hex string",
  syntax: "invalid hex string",
  missingPrefix: "hex string without 0x prefix",
  oddLength: "hex string of odd length",
  emptyNumber: 'hex string "0x"',
  leadingZero: "hex number with leading zero digits",
  uint64Range: "hex number > 64 bits",
  big256Range: "hex number > 256 bits",
} as const;

/** Thrown with a bare hexutil message (hexutil.Decode & co., no JSON). */
export class HexDecodeError extends TypeError {
  /**
   * Creates the error.
   *
   * @param message One of {@linkcode HexError}'s texts.
   */
  constructor(message: string) {
    super(message);
    this.name = "HexDecodeError";
  }
}

/**
 * Go's `json.UnmarshalTypeError`: `json: cannot unmarshal <value> into Go
 * struct field <S>.<f> of type <T>` or `... into Go value of type <T>`.
 */
export class UnmarshalTypeError extends TypeError {
  /** The `<value>` part: `non-string`, a hexutil message, `string`, ... */
  readonly value: string;
  /** The Go type name, e.g. `hexutil.Uint64`. */
  readonly goType: string;
  /** The struct/field context, when known. */
  readonly context?: FieldContext;

  /**
   * Creates the error with Go's message.
   *
   * @param value The `<value>` detail.
   * @param goType The Go type name.
   * @param context Struct field, when known.
   */
  constructor(value: string, goType: string, context?: FieldContext) {
    super(
      context
        ? `json: cannot unmarshal ${value} into Go struct field ${context.struct}.${context.field} of type ${goType}`
        : `json: cannot unmarshal ${value} into Go value of type ${goType}`,
    );
    this.name = "UnmarshalTypeError";
    this.value = value;
    this.goType = goType;
    this.context = context;
  }

  /** The same error with another context (Go's `addErrorContext`). */
  withContext(context: FieldContext | undefined): UnmarshalTypeError {
    return new UnmarshalTypeError(this.value, this.goType, context);
  }
}

/** Go type names as they appear in error messages. */
export const GoType = {
  uint64: "hexutil.Uint64",
  big: "*hexutil.Big",
  bytes: "hexutil.Bytes",
  address: "common.Address",
  hash: "common.Hash",
} as const;

/**
 * Go's JSON kind word for a value that does not fit the target (`string`,
 * `number`, `bool`, `array`, `object`), as in `cannot unmarshal string into`.
 *
 * @param v A parsed JSON value (not null).
 * @returns The Go kind word.
 *
 * @example Usage
 * ```ts
 * import { goJsonKind } from "./hexutil.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(goJsonKind([true]), "array");
 * ```
 */
export function goJsonKind(v: JsonValue | number): string {
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number" || v instanceof JsonNumber) return "number";
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  return "object";
}

// Go measures strings in UTF-8 bytes; only matters for non-ASCII input.
function byteLength(s: string): number {
  // deno-lint-ignore no-control-regex
  return /^[\x00-\x7f]*$/.test(s)
    ? s.length
    : new TextEncoder().encode(s).length;
}

function has0xPrefix(s: string): boolean {
  return s.length >= 2 && s[0] === "0" && (s[1] === "x" || s[1] === "X");
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

// hex digits → bytes; returns null on a non-hex character. `s` has even length.
function hexDigits(s: string): Uint8Array | null {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(s.charCodeAt(2 * i));
    const lo = nibble(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function isAllHex(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (nibble(s.charCodeAt(i)) < 0) return false;
  }
  return true;
}

/**
 * hexutil.Decode: `0x`-prefixed hex (either case) to bytes.
 *
 * @param s The hex string; `"0x"` is the empty byte string.
 * @returns The decoded bytes.
 * @throws {HexDecodeError} `empty hex string`, `hex string without 0x
 * prefix`, `invalid hex string` or `hex string of odd length`.
 *
 * @example Usage
 * ```ts
 * import { decodeHexBytes } from "./hexutil.ts";
 * import { deepStrictEqual, throws } from "node:assert/strict";
 * deepStrictEqual(decodeHexBytes("0xAb01"), new Uint8Array([0xab, 1]));
 * throws(() => decodeHexBytes("ab"), { message: "hex string without 0x prefix" });
 * ```
 */
export function decodeHexBytes(s: string): Uint8Array {
  if (s.length === 0) throw new HexDecodeError(HexError.emptyString);
  if (!has0xPrefix(s)) throw new HexDecodeError(HexError.missingPrefix);
  const body = s.slice(2);
  // Go's hex.Decode reports a bad character before a bad length.
  const evenPart = body.slice(0, body.length - (body.length % 2));
  const out = hexDigits(evenPart);
  if (out === null) throw new HexDecodeError(HexError.syntax);
  if (body.length % 2 !== 0) {
    if (
      nibble(body.charCodeAt(body.length - 1)) < 0 ||
      byteLength(body) !== body.length
    ) {
      throw new HexDecodeError(HexError.syntax);
    }
    throw new HexDecodeError(HexError.oddLength);
  }
  return out;
}

// checkNumber (strict, for DecodeUint64/DecodeBig) / checkNumberText (JSON).
function checkNumber(s: string, allowEmpty: boolean): string | null {
  if (s.length === 0) {
    if (allowEmpty) return null;
    throw new HexDecodeError(HexError.emptyString);
  }
  if (!has0xPrefix(s)) throw new HexDecodeError(HexError.missingPrefix);
  const raw = s.slice(2);
  if (raw.length === 0) throw new HexDecodeError(HexError.emptyNumber);
  if (raw.length > 1 && raw[0] === "0") {
    throw new HexDecodeError(HexError.leadingZero);
  }
  return raw;
}

function parseQuantity(
  raw: string,
  maxDigits: number,
  rangeMsg: string,
): bigint {
  if (byteLength(raw) > maxDigits) throw new HexDecodeError(rangeMsg);
  if (!isAllHex(raw)) throw new HexDecodeError(HexError.syntax);
  return BigInt("0x" + raw);
}

/**
 * hexutil.DecodeUint64: a `0x` hex quantity of at most 64 bits.
 *
 * @param s The quantity text, e.g. `0x1f`.
 * @returns The value.
 * @throws {HexDecodeError} with hexutil's message.
 *
 * @example Usage
 * ```ts
 * import { decodeHexUint64 } from "./hexutil.ts";
 * import { strictEqual, throws } from "node:assert/strict";
 * strictEqual(decodeHexUint64("0x1f"), 31n);
 * throws(() => decodeHexUint64("0x01"), { message: "hex number with leading zero digits" });
 * ```
 */
export function decodeHexUint64(s: string): bigint {
  const raw = checkNumber(s, false)!;
  // strconv.ParseUint scans left to right: a bad digit among the first 17
  // is a syntax error, otherwise the 17th digit overflows.
  for (let i = 0; i < raw.length && i < 17; i++) {
    if (nibble(raw.charCodeAt(i)) < 0) {
      throw new HexDecodeError(HexError.syntax);
    }
  }
  if (raw.length > 16) throw new HexDecodeError(HexError.uint64Range);
  return BigInt("0x" + raw);
}

/**
 * hexutil.DecodeBig: a `0x` hex quantity of at most 256 bits.
 *
 * @param s The quantity text.
 * @returns The value.
 * @throws {HexDecodeError} with hexutil's message.
 *
 * @example Usage
 * ```ts
 * import { decodeHexBig } from "./hexutil.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(decodeHexBig("0x100"), 256n);
 * ```
 */
export function decodeHexBig(s: string): bigint {
  const raw = checkNumber(s, false)!;
  return parseQuantity(raw, 64, HexError.big256Range);
}

function typeError(
  e: unknown,
  goType: string,
  ctx: FieldContext | undefined,
): unknown {
  return e instanceof HexDecodeError
    ? new UnmarshalTypeError(e.message, goType, ctx)
    : e;
}

function requireString(
  v: JsonValue,
  goType: string,
  ctx: FieldContext | undefined,
): string {
  if (typeof v !== "string") {
    throw new UnmarshalTypeError("non-string", goType, ctx);
  }
  return v;
}

/**
 * Decodes a JSON `hexutil.Uint64` (`gas`, `nonce`): `""` is 0, otherwise
 * `0x` + 1–16 hex digits without leading zeros.
 *
 * @param v The parsed JSON value (null is an error, as in Go).
 * @param ctx Struct field for the error text; omit for a top-level value.
 * @returns The value.
 * @throws {UnmarshalTypeError} with Go's text.
 *
 * @example Usage
 * ```ts
 * import { decodeUint64Json } from "./hexutil.ts";
 * import { strictEqual, throws } from "node:assert/strict";
 * strictEqual(decodeUint64Json("0x5208"), 21000n);
 * throws(() => decodeUint64Json(true, { struct: "SendTxArgs", field: "gas" }), {
 *   message: "json: cannot unmarshal non-string into Go struct field SendTxArgs.gas of type hexutil.Uint64",
 * });
 * ```
 */
export function decodeUint64Json(v: JsonValue, ctx?: FieldContext): bigint {
  const s = requireString(v, GoType.uint64, ctx);
  try {
    const raw = checkNumber(s, true);
    if (raw === null) return 0n;
    return parseQuantity(raw, 16, HexError.uint64Range);
  } catch (e) {
    throw typeError(e, GoType.uint64, ctx);
  }
}

/**
 * Decodes a JSON `*hexutil.Big` (`value`, fees, `chainId`): `""` is 0,
 * otherwise `0x` + 1–64 hex digits without leading zeros.
 *
 * @param v The parsed JSON value (callers handle null for pointer fields).
 * @param ctx Struct field for the error text.
 * @returns The value.
 * @throws {UnmarshalTypeError} with Go's text.
 *
 * @example Usage
 * ```ts
 * import { decodeBigJson } from "./hexutil.ts";
 * import { strictEqual, throws } from "node:assert/strict";
 * strictEqual(decodeBigJson("0xde0b6b3a7640000"), 10n ** 18n);
 * throws(() => decodeBigJson("0x"), {
 *   message: 'json: cannot unmarshal hex string "0x" into Go value of type *hexutil.Big',
 * });
 * ```
 */
export function decodeBigJson(v: JsonValue, ctx?: FieldContext): bigint {
  const s = requireString(v, GoType.big, ctx);
  try {
    const raw = checkNumber(s, true);
    if (raw === null) return 0n;
    return parseQuantity(raw, 64, HexError.big256Range);
  } catch (e) {
    throw typeError(e, GoType.big, ctx);
  }
}

/**
 * Decodes a JSON `hexutil.Bytes` (`data`, `input`): `0x` + even-length hex;
 * `""` and `"0x"` are empty.
 *
 * @param v The parsed JSON value.
 * @param ctx Struct field for the error text.
 * @returns The bytes.
 * @throws {UnmarshalTypeError} with Go's text.
 *
 * @example Usage
 * ```ts
 * import { decodeBytesJson } from "./hexutil.ts";
 * import { strictEqual, throws } from "node:assert/strict";
 * strictEqual(decodeBytesJson("").length, 0);
 * throws(() => decodeBytesJson("0x123", { struct: "SendTxArgs", field: "data" }), {
 *   message: "json: cannot unmarshal hex string of odd length into Go struct field SendTxArgs.data of type hexutil.Bytes",
 * });
 * ```
 */
export function decodeBytesJson(v: JsonValue, ctx?: FieldContext): Uint8Array {
  const s = requireString(v, GoType.bytes, ctx);
  if (s.length === 0) return new Uint8Array(0);
  if (!has0xPrefix(s)) {
    throw new UnmarshalTypeError(HexError.missingPrefix, GoType.bytes, ctx);
  }
  const body = s.slice(2);
  if (byteLength(body) % 2 !== 0) {
    throw new UnmarshalTypeError(HexError.oddLength, GoType.bytes, ctx);
  }
  const out = byteLength(body) === body.length ? hexDigits(body) : null;
  if (out === null) {
    throw new UnmarshalTypeError(HexError.syntax, GoType.bytes, ctx);
  }
  return out;
}

/**
 * hexutil.UnmarshalFixedJSON: a JSON string `0x` + exactly `2·size` hex
 * digits, for `common.Address`, `common.Hash`, `kzg4844.Blob`, ...
 *
 * @param v The parsed JSON value.
 * @param goType Go type name used in errors, e.g. `common.Address`.
 * @param size Required byte length.
 * @param ctx Struct field for the error text.
 * @returns The bytes.
 * @throws {UnmarshalTypeError} for type/prefix/odd-length/syntax errors.
 * @throws {RangeError} `hex string has length <n>, want <m> for <type>`.
 *
 * @example Usage
 * ```ts
 * import { decodeFixedJson } from "./hexutil.ts";
 * import { throws } from "node:assert/strict";
 * throws(() => decodeFixedJson("0x1234", "common.Address", 20), {
 *   message: "hex string has length 4, want 40 for common.Address",
 * });
 * ```
 */
export function decodeFixedJson(
  v: JsonValue,
  goType: string,
  size: number,
  ctx?: FieldContext,
): Uint8Array {
  const s = requireString(v, goType, ctx);
  let raw = s;
  if (s.length > 0) {
    if (!has0xPrefix(s)) {
      throw new UnmarshalTypeError(HexError.missingPrefix, goType, ctx);
    }
    raw = s.slice(2);
    if (byteLength(raw) % 2 !== 0) {
      throw new UnmarshalTypeError(HexError.oddLength, goType, ctx);
    }
  }
  const n = byteLength(raw);
  if (n / 2 !== size) {
    throw new RangeError(
      `hex string has length ${n}, want ${size * 2} for ${goType}`,
    );
  }
  const out = n === raw.length ? hexDigits(raw) : null;
  if (out === null) throw new UnmarshalTypeError(HexError.syntax, goType, ctx);
  return out;
}

/**
 * Decodes a JSON `common.Address` (20 bytes).
 *
 * @param v The parsed JSON value.
 * @param ctx Struct field for the error text.
 * @returns The 20 bytes.
 * @throws {UnmarshalTypeError|RangeError} with Go's text.
 *
 * @example Usage
 * ```ts
 * import { decodeAddressJson } from "./hexutil.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(decodeAddressJson("0x" + "11".repeat(20))[19], 0x11);
 * ```
 */
export function decodeAddressJson(
  v: JsonValue,
  ctx?: FieldContext,
): Uint8Array {
  return decodeFixedJson(v, GoType.address, 20, ctx);
}

/**
 * Decodes a JSON `common.MixedcaseAddress`: an address that keeps the
 * caller's spelling (errors name `common.Address`, as in Go).
 *
 * @param v The parsed JSON value.
 * @param ctx Struct field for the error text.
 * @returns The address with its original string.
 * @throws {UnmarshalTypeError|RangeError} with Go's text.
 *
 * @example Usage
 * ```ts
 * import { decodeMixedcaseAddressJson } from "./hexutil.ts";
 * import { strictEqual } from "node:assert/strict";
 * const a = decodeMixedcaseAddressJson("0X" + "aB".repeat(20));
 * strictEqual(a.toJSON(), "0x" + "aB".repeat(20));
 * ```
 */
export function decodeMixedcaseAddressJson(
  v: JsonValue,
  ctx?: FieldContext,
): MixedcaseAddress {
  const bytes = decodeFixedJson(v, GoType.address, 20, ctx);
  return new MixedcaseAddress(bytes, v as string);
}

/**
 * Decodes a JSON `common.Hash` (32 bytes).
 *
 * @param v The parsed JSON value.
 * @param ctx Struct field for the error text.
 * @returns The 32 bytes.
 * @throws {UnmarshalTypeError|RangeError} with Go's text.
 *
 * @example Usage
 * ```ts
 * import { decodeHashJson } from "./hexutil.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(decodeHashJson("0x" + "00".repeat(32)).length, 32);
 * ```
 */
export function decodeHashJson(v: JsonValue, ctx?: FieldContext): Uint8Array {
  return decodeFixedJson(v, GoType.hash, 32, ctx);
}

/**
 * Encodes a quantity as hexutil does: `0x` + lowercase hex, no leading
 * zeros, `0x0` for zero.
 *
 * @param n A non-negative integer.
 * @returns The quantity string.
 * @throws {RangeError} for a negative value.
 *
 * @example Usage
 * ```ts
 * import { encodeQuantity } from "./hexutil.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(encodeQuantity(0n), "0x0");
 * strictEqual(encodeQuantity(255n), "0xff");
 * ```
 */
export function encodeQuantity(n: bigint | number): string {
  const b = BigInt(n);
  if (b < 0n) throw new RangeError("negative quantity");
  return "0x" + b.toString(16);
}

/**
 * Encodes bytes as hexutil.Bytes does: `0x` + lowercase hex (`0x` if empty).
 *
 * @param b The bytes.
 * @returns The hex string.
 *
 * @example Usage
 * ```ts
 * import { encodeBytes } from "./hexutil.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(encodeBytes(new Uint8Array([1, 0xab])), "0x01ab");
 * ```
 */
export function encodeBytes(b: Uint8Array): string {
  let s = "0x";
  for (const x of b) s += (x < 16 ? "0" : "") + x.toString(16);
  return s;
}
