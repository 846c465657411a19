/**
 * EIP-712 typed data exactly as clef hashes it (spec signing.md §3):
 * decoding with Go `encoding/json` rules, clef's validation with its error
 * texts, `encodeType`/`typeHash`, `encodeData`/`hashStruct` and the final
 * `0x19 0x01` digest — including clef's quirks (fixed array sizes not
 * enforced, struct arrays hashed item by item, null array items crash).
 *
 * Untrusted input is capped: struct/array nesting beyond
 * {@linkcode MAX_EIP712_DEPTH} is refused. Validation and type hashes are
 * computed once per typed-data object, so hashing stays linear in the input.
 *
 * @module
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { isHexAddress } from "../address.ts";
import { concat, utf8 } from "../_bytes.ts";
import { StaveError } from "../errors.ts";
import { JsonNumber, type JsonValue } from "../json.ts";
import { goQuote } from "../ui/go_format.ts";
import {
  compareGoStrings,
  GoBigInt,
  goTypeName,
  goV,
  type GoValue,
  isGoMap,
} from "./_go_fmt.ts";
import {
  bitLength,
  goHexDecode,
  hexToAddress,
  parseBig256,
} from "./_go_hex.ts";

export { GoBigInt, type GoValue } from "./_go_fmt.ts";

/** Deepest struct/array nesting accepted in a typed-data message. */
export const MAX_EIP712_DEPTH = 256;

/**
 * Most characters of type encodings (`encodeType`) hashed for one typed-data
 * object. Real typed data needs a few KiB; without a cap, many large
 * mutually referencing types make the work grow with the square of the input.
 */
export const MAX_EIP712_TYPE_ENCODING = 16 * 1024 * 1024;

/** One `{name, type}` member of a struct type. */
export interface TypedDataField {
  /** Member name. */
  name: string;
  /** Member type as declared, e.g. `uint256`, `Person[]`. */
  type: string;
}

/** The `domain` object (clef's `TypedDataDomain`). */
export interface TypedDataDomain {
  /** `name` (empty when absent). */
  name: string;
  /** `version` (empty when absent). */
  version: string;
  /** `null` when absent (or JSON null). */
  chainId: bigint | null;
  /** `verifyingContract` as given (empty when absent). */
  verifyingContract: string;
  /** `salt` as given (empty when absent). */
  salt: string;
}

/** A JSON object of typed-data values (Go `map[string]interface{}`). */
export type TypedDataMessage = { [key: string]: GoValue };

/** Decoded EIP-712 typed data (clef's `apitypes.TypedData`). */
export interface TypedData {
  /**
   * Struct types in input order. A type declared as JSON `null` maps to
   * `null`: it counts as declared for validation but not as a struct.
   */
  types: Map<string, TypedDataField[] | null>;
  /** The struct type of `message`. */
  primaryType: string;
  /** The signing domain. */
  domain: TypedDataDomain;
  /** The message (an empty map when absent or null). */
  message: TypedDataMessage;
}

/** The values clef derives from typed data before signing it. */
export interface TypedDataHash {
  /** hashStruct("EIP712Domain", domain map). */
  domainSeparator: Uint8Array;
  /** hashStruct(primaryType, message). */
  messageHash: Uint8Array;
  /** keccak256(rawData): the digest that is signed. */
  digest: Uint8Array;
  /** `0x19 0x01 ‖ domainSeparator ‖ messageHash` (66 bytes). */
  rawData: Uint8Array;
}

/**
 * A typed-data JSON value that Go's `encoding/json` would refuse to decode
 * into clef's `TypedData` (message = Go's text, e.g.
 * `json: cannot unmarshal string into Go value of type apitypes.TypedData`).
 */
export class TypedDataDecodeError extends TypeError {
  /**
   * Creates the error.
   *
   * @param message Go's error text.
   */
  constructor(message: string) {
    super(message);
    this.name = "TypedDataDecodeError";
  }
}

/** clef panicked here; the RPC layer answers -32603 `method handler crashed`. */
export class HandlerCrashError extends StaveError {
  /** Why clef would have crashed (for logs; the wire text stays clef's). */
  readonly reason: string;
  /**
   * Creates the error.
   *
   * @param reason What clef would have panicked on (kept as `cause`).
   */
  constructor(reason: string) {
    super("method handler crashed", { code: -32603, cause: new Error(reason) });
    this.reason = reason;
  }
}

// ---------------------------------------------------------------------------
// Decoding (Go encoding/json into apitypes.TypedData)

/** Go's case-insensitive key folding for struct fields (ASCII + ſ, K). */
function foldKey(k: string): string {
  let out = "";
  for (const c of k) {
    if (c === "\u017f") out += "S";
    else if (c === "\u212a") out += "K";
    else if (c.charCodeAt(0) < 0x80) out += c.toUpperCase();
    else out += c;
  }
  return out;
}

/** Finds the struct field a JSON key fills (exact match preferred). */
function matchField<T extends string>(
  key: string,
  fields: readonly T[],
): T | null {
  for (const f of fields) if (f === key) return f;
  const folded = foldKey(key);
  for (const f of fields) if (foldKey(f) === folded) return f;
  return null;
}

function jsonKind(v: JsonValue): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "string") return "string";
  if (v instanceof JsonNumber || typeof v === "number") return "number";
  if (Array.isArray(v)) return "array";
  return "object";
}

function isJsonObject(v: JsonValue): v is { [key: string]: JsonValue } {
  return typeof v === "object" && v !== null && !Array.isArray(v) &&
    !(v instanceof JsonNumber);
}

/** The literal text of a JSON value for `UnmarshalJSON` (quotes removed). */
function rawText(v: JsonValue): string {
  if (typeof v === "string") return v;
  if (v instanceof JsonNumber) return v.literal;
  return JSON.stringify(v);
}

/** The first number (document order) that overflows a double, if any. */
function firstOverflow(v: JsonValue): string | null {
  const stack: JsonValue[] = [v];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (x instanceof JsonNumber) {
      if (!Number.isFinite(x.value)) return x.literal;
    } else if (Array.isArray(x)) {
      for (let i = x.length - 1; i >= 0; i--) stack.push(x[i]);
    } else if (isJsonObject(x)) {
      const keys = Object.keys(x);
      for (let i = keys.length - 1; i >= 0; i--) stack.push(x[keys[i]]);
    }
  }
  return null;
}

class Decoder {
  saved: string | null = null;
  typeError(
    v: JsonValue,
    struct: string,
    path: string[],
    goType: string,
    kind = jsonKind(v),
  ) {
    if (this.saved !== null) return;
    this.saved = `json: cannot unmarshal ${kind} into Go ${
      struct === "" ? "value" : `struct field ${struct}.${path.join(".")}`
    } of type ${goType}`;
  }
  string(v: JsonValue, prev: string, struct: string, path: string[]): string {
    if (v === null) return prev;
    if (typeof v === "string") return v;
    this.typeError(v, struct, path, "string");
    return prev;
  }
}

const TD_FIELDS = ["types", "primaryType", "domain", "message"] as const;
const DOMAIN_FIELDS = [
  "name",
  "version",
  "chainId",
  "verifyingContract",
  "salt",
] as const;
const TYPE_FIELDS = ["name", "type"] as const;

/**
 * Decodes a JSON value into typed data with Go `encoding/json` semantics:
 * case-insensitive keys, unknown keys ignored, `null` leaves a field unset,
 * the first type mismatch is reported after the whole value was read, and
 * a bad `domain.chainId` aborts at once (`invalid hex or decimal integer`).
 *
 * @param value A parsed JSON value (from `parseJson`, number literals kept).
 * @returns The typed data.
 * @throws {TypedDataDecodeError} with Go's message.
 *
 * @example Usage
 * ```ts
 * import { decodeTypedData } from "./eip712.ts";
 * import { strictEqual, throws } from "node:assert/strict";
 * const td = decodeTypedData(Object.assign(Object.create(null), { PrimaryType: "Mail" }));
 * strictEqual(td.primaryType, "Mail");
 * throws(() => decodeTypedData("x"), /cannot unmarshal string into Go value of type apitypes.TypedData/);
 * ```
 */
export function decodeTypedData(value: JsonValue): TypedData {
  const td: TypedData = {
    types: new Map(),
    primaryType: "",
    domain: {
      name: "",
      version: "",
      chainId: null,
      verifyingContract: "",
      salt: "",
    },
    message: Object.create(null),
  };
  const d = new Decoder();
  if (value !== null && !isJsonObject(value)) {
    d.typeError(value, "", [], "apitypes.TypedData");
  } else if (value !== null) {
    for (const key of Object.keys(value)) {
      const f = matchField(key, TD_FIELDS);
      const v = value[key];
      if (f === "types") decodeTypes(d, v, td.types);
      else if (f === "primaryType") {
        td.primaryType = d.string(v, td.primaryType, "TypedData", [
          "primaryType",
        ]);
      } else if (f === "domain") decodeDomain(d, v, td.domain);
      else if (f === "message") {
        if (v === null) td.message = Object.create(null);
        else if (isJsonObject(v)) {
          const big = firstOverflow(v);
          if (big !== null) {
            d.typeError(
              new JsonNumber(big),
              "TypedData",
              ["message"],
              "float64",
              `number ${big}`,
            );
          }
          Object.assign(td.message, v);
        } else {
          d.typeError(v, "TypedData", ["message"], "map[string]interface {}");
        }
      }
    }
  }
  if (d.saved !== null) throw new TypedDataDecodeError(d.saved);
  return td;
}

function decodeTypes(
  d: Decoder,
  v: JsonValue,
  types: Map<string, TypedDataField[] | null>,
): void {
  if (v === null) {
    types.clear();
    return;
  }
  if (!isJsonObject(v)) {
    d.typeError(v, "TypedData", ["types"], "apitypes.Types");
    return;
  }
  for (const name of Object.keys(v)) {
    const list = v[name];
    if (list === null) {
      types.set(name, null);
      continue;
    }
    if (!Array.isArray(list)) {
      d.typeError(list, "TypedData", ["types"], "[]apitypes.Type");
      types.set(name, null); // Go stores the zero (nil) element anyway
      continue;
    }
    const fields: TypedDataField[] = [];
    for (const item of list) {
      const field = { name: "", type: "" };
      if (item !== null && !isJsonObject(item)) {
        d.typeError(item, "TypedData", ["types"], "apitypes.Type");
      } else if (item !== null) {
        for (const k of Object.keys(item)) {
          const f = matchField(k, TYPE_FIELDS);
          if (f !== null) {
            field[f] = d.string(item[k], field[f], "Type", ["types", f]);
          }
        }
      }
      fields.push(field);
    }
    types.set(name, fields);
  }
}

function decodeDomain(d: Decoder, v: JsonValue, dom: TypedDataDomain): void {
  if (v === null) return;
  if (!isJsonObject(v)) {
    d.typeError(v, "TypedData", ["domain"], "apitypes.TypedDataDomain");
    return;
  }
  for (const key of Object.keys(v)) {
    const f = matchField(key, DOMAIN_FIELDS);
    const x = v[key];
    if (f === null) continue;
    if (f === "chainId") {
      if (x === null) {
        dom.chainId = null;
        continue;
      }
      // *math.HexOrDecimal256.UnmarshalJSON: the raw text, quotes removed.
      const text = rawText(x);
      const n = parseBig256(text);
      if (n === null) {
        throw new TypedDataDecodeError(
          `invalid hex or decimal integer ${goQuote(text)}`,
        );
      }
      dom.chainId = n;
    } else {
      dom[f] = d.string(x, dom[f], "TypedDataDomain", ["domain", f]);
    }
  }
}

// ---------------------------------------------------------------------------
// Validation (signing.md §3.2.1)

const PRIMITIVES = new Set<string>([
  "address",
  "bool",
  "string",
  "bytes",
  "int",
  "uint",
]);
for (let n = 1; n <= 32; n++) PRIMITIVES.add(`bytes${n}`);
for (let n = 8; n <= 256; n += 8) {
  PRIMITIVES.add(`int${n}`);
  PRIMITIVES.add(`uint${n}`);
}
const REFERENCE_TYPE = /^[A-Za-z](\w*)(\[\d*\])*$/;

/** The part of a type before the first `[` (clef's `typeName`). */
export function baseTypeName(type: string): string {
  const i = type.indexOf("[");
  return i < 0 ? type : type.slice(0, i);
}

/**
 * Reports whether a type string names a valid EIP-712 primitive as clef
 * checks it: only the part before the first `[` is looked at.
 *
 * @param type A field type such as `uint256`, `bytes32[]`.
 * @returns true for primitives (and arrays of them).
 *
 * @example Usage
 * ```ts
 * import { isPrimitiveType } from "./eip712.ts";
 * import { ok } from "node:assert/strict";
 * ok(isPrimitiveType("uint256[abc]") && !isPrimitiveType("uint7"));
 * ```
 */
export function isPrimitiveType(type: string): boolean {
  return PRIMITIVES.has(baseTypeName(type));
}

function validateTypes(types: Map<string, TypedDataField[] | null>): void {
  for (const [key, fields] of types) {
    if (key.length === 0) throw new TypeError("empty type key");
    if (fields === null) continue;
    fields.forEach((f, i) => {
      if (f.type.length === 0) {
        throw new TypeError(`type ${goQuote(key)}:${i}: empty Type`);
      }
      if (f.name.length === 0) {
        throw new TypeError(`type ${goQuote(key)}:${i}: empty Name`);
      }
      if (key === f.type) {
        throw new TypeError(`type ${goQuote(f.type)} cannot reference itself`);
      }
      if (isPrimitiveType(f.type)) return;
      if (!types.has(baseTypeName(f.type))) {
        throw new TypeError(`reference type ${goQuote(f.type)} is undefined`);
      }
      if (!REFERENCE_TYPE.test(f.type)) {
        throw new TypeError(`unknown reference type ${goQuote(f.type)}`);
      }
    });
  }
}

function validateDomain(dom: TypedDataDomain): void {
  if (
    dom.chainId === null && dom.name === "" && dom.version === "" &&
    dom.verifyingContract === "" && dom.salt === ""
  ) {
    throw new TypeError("domain is undefined");
  }
}

/**
 * Runs clef's typed-data validation (types, then domain).
 *
 * @param td The typed data.
 * @throws {TypeError} with clef's texts, e.g. `empty type key`,
 * `type "Mail":0: empty Name`, `reference type "Foo" is undefined`,
 * `domain is undefined`.
 *
 * @example Usage
 * ```ts
 * import { decodeTypedData, validateTypedData } from "./eip712.ts";
 * import { throws } from "node:assert/strict";
 * throws(() => validateTypedData(decodeTypedData(null)), /domain is undefined/);
 * ```
 */
export function validateTypedData(td: TypedData): void {
  validateTypes(td.types);
  validateDomain(td.domain);
}

/**
 * The domain as clef's `TypedDataDomain.Map()`: `chainId` if set, the
 * string members only when non-empty.
 *
 * @param dom The decoded domain.
 * @returns A map of the present members.
 *
 * @example Usage
 * ```ts
 * import { domainMap } from "./eip712.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(Object.keys(domainMap({ name: "x", version: "", chainId: null, verifyingContract: "", salt: "" })), ["name"]);
 * ```
 */
export function domainMap(dom: TypedDataDomain): TypedDataMessage {
  const m: TypedDataMessage = Object.create(null);
  if (dom.chainId !== null) m.chainId = new GoBigInt(dom.chainId);
  if (dom.name !== "") m.name = dom.name;
  if (dom.version !== "") m.version = dom.version;
  if (dom.verifyingContract !== "") {
    m.verifyingContract = dom.verifyingContract;
  }
  if (dom.salt !== "") m.salt = dom.salt;
  return m;
}

// ---------------------------------------------------------------------------
// Primitive values

/** Go `strconv.Atoi` (int64 range); null on error. */
export function goAtoi(s: string): number | null {
  if (!/^[+-]?[0-9]+$/.test(s)) return null;
  const v = BigInt(s);
  if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) return null;
  return Number(v);
}

/** The message of clef's `dataMismatchError`. */
export function dataMismatch(type: string, value: GoValue): TypeError {
  return new TypeError(
    `provided data '${goV(value)}' doesn't match type '${type}'`,
  );
}

/**
 * clef's `parseInteger`: the integer a typed-data value holds for an
 * `intN`/`uintN` type (signing.md §3.4 integer rules).
 *
 * @param type The declared type, e.g. `uint8`.
 * @param value The value from the message or domain.
 * @returns The integer.
 * @throws {TypeError | RangeError} with clef's texts.
 *
 * @example Usage
 * ```ts
 * import { parseTypedInteger } from "./eip712.ts";
 * import { strictEqual, throws } from "node:assert/strict";
 * strictEqual(parseTypedInteger("uint8", "0xff"), 255n);
 * throws(() => parseTypedInteger("uint8", "256"), /integer larger than 'uint8'/);
 * ```
 */
export function parseTypedInteger(type: string, value: GoValue): bigint {
  const signed = type.startsWith("int");
  let size: number;
  if (type === "int" || type === "uint") size = 256;
  else {
    const suffix = type.startsWith("uint") ? type.slice(4) : type.slice(3);
    const n = goAtoi(suffix);
    if (n === null) throw new TypeError(`invalid size on integer: ${suffix}`);
    size = n;
  }
  let b: bigint | null = null;
  if (value instanceof GoBigInt) b = value.value;
  else if (typeof value === "string") {
    b = parseBig256(value);
    if (b === null) {
      throw new TypeError(`invalid hex or decimal integer ${goQuote(value)}`);
    }
  } else if (typeof value === "number" || value instanceof JsonNumber) {
    const f = typeof value === "number" ? value : value.value;
    // Go: float64(int64(v)) == v (amd64 conversion semantics).
    if (Number.isInteger(f) && f >= -(2 ** 63) && f < 2 ** 63) b = BigInt(f);
    else {
      throw new TypeError(`invalid float value ${goV(value)} for type ${type}`);
    }
  }
  if (b === null) {
    throw new TypeError(
      `invalid integer value ${goV(value)}/${
        goTypeName(value)
      } for type ${type}`,
    );
  }
  if (bitLength(b) > size) {
    throw new RangeError(`integer larger than '${type}'`);
  }
  if (!signed && b < 0n) {
    throw new RangeError(`invalid negative value for unsigned type ${type}`);
  }
  return b;
}

/** clef's `parseBytes`: a `0x` hex string or hexutil.Bytes; null if neither. */
function parseBytes(value: GoValue): Uint8Array | null {
  if (value instanceof Uint8Array) return value;
  if (typeof value !== "string") return null;
  if (value === "" || !(value.startsWith("0x") || value.startsWith("0X"))) {
    return null;
  }
  const { bytes, error } = goHexDecode(value.slice(2));
  return error === null ? bytes : null;
}

function u256(b: bigint): Uint8Array {
  let v = BigInt.asUintN(256, b);
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * clef's `EncodePrimitiveValue`: the 32-byte encoding of a primitive.
 *
 * @param type A primitive type name (no array suffix).
 * @param value The value.
 * @returns 32 bytes.
 * @throws {TypeError | RangeError} with clef's texts.
 *
 * @example Usage
 * ```ts
 * import { encodePrimitive } from "./eip712.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(encodePrimitive("bool", true)[31], 1);
 * ```
 */
export function encodePrimitive(type: string, value: GoValue): Uint8Array {
  switch (type) {
    case "address": {
      if (typeof value === "string" && isHexAddress(value)) {
        const out = new Uint8Array(32);
        out.set(hexToAddress(value), 12);
        return out;
      }
      throw dataMismatch(type, value);
    }
    case "bool": {
      if (typeof value !== "boolean") throw dataMismatch(type, value);
      const out = new Uint8Array(32);
      out[31] = value ? 1 : 0;
      return out;
    }
    case "string":
      if (typeof value !== "string") throw dataMismatch(type, value);
      return keccak_256(utf8(value));
    case "bytes": {
      const b = parseBytes(value);
      if (b === null) throw dataMismatch(type, value);
      return keccak_256(b);
    }
  }
  if (type.startsWith("bytes")) {
    const suffix = type.slice(5);
    const n = goAtoi(suffix);
    if (n === null) throw new TypeError(`invalid size on bytes: ${suffix}`);
    if (n < 0 || n > 32) throw new RangeError(`invalid size on bytes: ${n}`);
    const b = parseBytes(value);
    if (b === null || b.length !== n) throw dataMismatch(type, value);
    const out = new Uint8Array(32);
    out.set(b);
    return out;
  }
  if (type.startsWith("int") || type.startsWith("uint")) {
    return u256(parseTypedInteger(type, value));
  }
  throw new TypeError(`unrecognized type '${type}'`);
}

// ---------------------------------------------------------------------------
// Struct encoding

function isStruct(
  types: Map<string, TypedDataField[] | null>,
  name: string,
): boolean {
  return types.get(name) != null;
}

function tooDeep(): RangeError {
  return new RangeError(
    `typed data nested too deeply (more than ${MAX_EIP712_DEPTH} levels)`,
  );
}

/**
 * Hashes one typed-data object, caching validation and type hashes (both
 * depend only on `types`/`domain`, which never change during hashing).
 */
class Encoder {
  readonly td: TypedData;
  #validated: TypeError | true | undefined;
  #typeHashes = new Map<string, Uint8Array>();

  constructor(td: TypedData) {
    this.td = td;
  }

  validate(): void {
    if (this.#validated === undefined) {
      try {
        validateTypedData(this.td);
        this.#validated = true;
      } catch (e) {
        this.#validated = e as TypeError;
      }
    }
    if (this.#validated !== true) throw this.#validated;
  }

  #typeBudget = MAX_EIP712_TYPE_ENCODING;

  typeHash(primaryType: string): Uint8Array {
    let h = this.#typeHashes.get(primaryType);
    if (!h) {
      const enc = encodeTypeLimited(this.td, primaryType, this.#typeBudget);
      this.#typeBudget -= enc.length;
      h = keccak_256(utf8(enc));
      this.#typeHashes.set(primaryType, h);
    }
    return h;
  }

  encodeData(primaryType: string, data: TypedDataMessage, depth: number) {
    if (depth > MAX_EIP712_DEPTH) throw tooDeep();
    this.validate();
    const types = this.td.types;
    const fields = types.get(primaryType) ?? [];
    const got = Object.keys(data).length;
    if (fields.length < got) {
      throw new TypeError(
        `there is extra data provided in the message (${fields.length} < ${got})`,
      );
    }
    const parts: Uint8Array[] = [this.typeHash(primaryType)];
    for (const field of fields) {
      const v = own(data, field.name);
      if (field.type.endsWith("]")) {
        parts.push(this.encodeArray(v, field.type, depth));
      } else if (isStruct(types, field.type)) {
        if (!isGoMap(v)) throw dataMismatch(field.type, v);
        parts.push(keccak_256(this.encodeData(field.type, v, depth + 1)));
      } else {
        parts.push(encodePrimitive(field.type, v));
      }
    }
    return joinBytes(parts);
  }

  encodeArray(value: GoValue, type: string, depth: number): Uint8Array {
    if (depth > MAX_EIP712_DEPTH) throw tooDeep();
    if (!Array.isArray(value)) throw dataMismatch(type, value);
    const base = baseTypeName(type);
    const parts: Uint8Array[] = [];
    for (const item of value) {
      if (item === null) {
        throw new HandlerCrashError("EIP-712 array item is null");
      }
      if (Array.isArray(item)) {
        parts.push(this.encodeArray(item, base, depth + 1));
      } else if (isStruct(this.td.types, base)) {
        if (!isGoMap(item)) throw dataMismatch(base, item);
        parts.push(keccak_256(this.encodeData(base, item, depth + 1)));
      } else {
        parts.push(encodePrimitive(base, item));
      }
    }
    return keccak_256(joinBytes(parts));
  }
}

/** Concatenates any number of chunks (no argument spreading). */
function joinBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function own(obj: TypedDataMessage, key: string): GoValue {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : null;
}

/**
 * clef's `EncodeType`: `Name(type name,...)` for the primary type, then its
 * dependencies sorted bytewise.
 *
 * @param td The typed data.
 * @param primaryType The type to encode (empty result if undeclared).
 * @returns The type encoding string.
 *
 * @example Usage
 * ```ts
 * import { encodeType } from "./eip712.ts";
 * import { strictEqual } from "node:assert/strict";
 * const types = new Map([["A", [{ name: "b", type: "B" }]], ["B", [{ name: "x", type: "uint8" }]]]);
 * strictEqual(encodeType({ types, primaryType: "A", domain: { name: "", version: "", chainId: 1n, verifyingContract: "", salt: "" }, message: {} }, "A"), "A(B b)B(uint8 x)");
 * ```
 */
export function encodeType(td: TypedData, primaryType: string): string {
  return encodeTypeLimited(td, primaryType, Infinity);
}

function encodeTypeLimited(
  td: TypedData,
  primaryType: string,
  limit: number,
): string {
  const types = td.types;
  const root = baseTypeName(primaryType);
  if (!isStruct(types, root)) return "";
  // Every declared struct reachable from the root (clef's Dependencies).
  const found = new Set<string>([root]);
  const stack = [root];
  while (stack.length > 0) {
    for (const f of types.get(stack.pop()!)!) {
      const t = baseTypeName(f.type);
      if (!found.has(t) && isStruct(types, t)) {
        found.add(t);
        stack.push(t);
      }
    }
  }
  found.delete(root);
  const deps = [primaryType, ...[...found].sort(compareGoStrings)];
  let out = "";
  for (const dep of deps) {
    const fields = types.get(dep) ?? [];
    out += dep + "(" + fields.map((f) => `${f.type} ${f.name}`).join(",") +
      ")";
    if (out.length > limit) {
      throw new RangeError(
        `typed data type encodings exceed ${MAX_EIP712_TYPE_ENCODING} characters`,
      );
    }
  }
  return out;
}

/**
 * keccak256 of {@linkcode encodeType}.
 *
 * @param td The typed data.
 * @param primaryType The struct type.
 * @returns 32 bytes.
 *
 * @example Usage
 * ```ts
 * import { typeHash } from "./eip712.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(typeHash({ types: new Map(), primaryType: "", domain: { name: "", version: "", chainId: null, verifyingContract: "", salt: "" }, message: {} }, "X").length, 32);
 * ```
 */
export function typeHash(td: TypedData, primaryType: string): Uint8Array {
  return keccak_256(utf8(encodeType(td, primaryType)));
}

/**
 * clef's `HashStruct`: keccak256(encodeData(type, data)), validating first.
 *
 * @param td The typed data (types and domain are used for validation).
 * @param primaryType The struct type of `data`.
 * @param data The object to hash.
 * @returns 32 bytes.
 * @throws {TypeError | RangeError} with clef's texts.
 *
 * @example Usage
 * ```ts
 * import { decodeTypedData, domainMap, hashStruct } from "./eip712.ts";
 * import { parseJson } from "../json.ts";
 * import { strictEqual } from "node:assert/strict";
 * const td = decodeTypedData(parseJson('{"types":{"EIP712Domain":[{"name":"name","type":"string"}]},"domain":{"name":"x"}}'));
 * strictEqual(hashStruct(td, "EIP712Domain", domainMap(td.domain)).length, 32);
 * ```
 */
export function hashStruct(
  td: TypedData,
  primaryType: string,
  data: TypedDataMessage,
): Uint8Array {
  return keccak_256(new Encoder(td).encodeData(primaryType, data, 1));
}

/**
 * clef's `TypedDataAndHash`: domain separator, message hash, the
 * `0x19 0x01` preimage and the digest to sign (signing.md §3.5).
 *
 * @param typedData Decoded typed data, or a JSON value to decode first.
 * @returns The hashes and the raw preimage.
 * @throws {TypedDataDecodeError} for JSON that does not decode.
 * @throws {TypeError | RangeError} validation and encoding errors (clef's texts).
 *
 * @example Usage
 * ```ts
 * import { hashTypedData } from "./eip712.ts";
 * import { parseJson } from "../json.ts";
 * import { strictEqual } from "node:assert/strict";
 * const r = hashTypedData(parseJson('{"types":{"EIP712Domain":[{"name":"name","type":"string"}],"M":[]},"primaryType":"M","domain":{"name":"x"},"message":{}}'));
 * strictEqual(r.rawData.length, 66);
 * ```
 */
export function hashTypedData(typedData: TypedData | JsonValue): TypedDataHash {
  const td = isTypedData(typedData) ? typedData : decodeTypedData(typedData);
  const enc = new Encoder(td);
  const domainSeparator = keccak_256(
    enc.encodeData("EIP712Domain", domainMap(td.domain), 1),
  );
  const messageHash = keccak_256(
    enc.encodeData(td.primaryType, td.message, 1),
  );
  const rawData = concat(
    new Uint8Array([0x19, 0x01]),
    domainSeparator,
    messageHash,
  );
  return { domainSeparator, messageHash, digest: keccak_256(rawData), rawData };
}

/** Reports whether a value is already decoded typed data. */
export function isTypedData(v: unknown): v is TypedData {
  return typeof v === "object" && v !== null &&
    (v as TypedData).types instanceof Map;
}
