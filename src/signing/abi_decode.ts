/**
 * Method selector verification for clef's transaction validation (spec
 * signing.md §7.1): go-ethereum's selector grammar (`abi.ParseSelector`),
 * its ABI type rules (`abi.NewType`), strict argument decoding
 * (`Arguments.UnpackValues`), re-encoding to detect stuffed data, and the
 * display text of the decoded call.
 *
 * Error texts follow go-ethereum's `accounts/abi` and `signer/fourbyte`.
 * Display of decoded values follows Go's `%v` (addresses checksummed,
 * integers decimal, byte arrays as `[1 2 3]`, tuples as `{a b}`).
 *
 * @module
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { HandlerCrashError } from "./eip712.ts";
import { toChecksumAddress } from "../address.ts";
import { toHex } from "../_bytes.ts";

/** Longest selector text accepted (clef has no limit; this caps work). */
export const MAX_SELECTOR_LENGTH = 4096;
/** Deepest nesting of arrays/tuples accepted in a selector. */
export const MAX_ABI_DEPTH = 32;
/**
 * Most values decoded from one calldata. Offsets may point many elements
 * at the same data, so nested dynamic arrays could otherwise make decoding
 * take time exponential in the depth (clef has no limit).
 */
export const MAX_ABI_VALUES = 1 << 18;

/**
 * clef panics on a selector without a parameter list (`transfer`); the
 * client sees JSON-RPC -32603 `method handler crashed`.
 */
export class SelectorPanicError extends HandlerCrashError {
  /** Creates the error with clef's crash text. */
  constructor() {
    super("selector without parameter list: index out of range [0]");
  }
}

// ---------------------------------------------------------------------------
// Selector parsing (accounts/abi/selector_parser.go), on Latin-1 code units
// standing for UTF-8 bytes so that Go's byte indexing is reproduced.

type Parsed = string | Parsed[];

const isDigit = (c: string) => c >= "0" && c <= "9";
const isAlpha = (c: string) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
const isIdentSymbol = (c: string) => c === "$" || c === "_";

function bytesString(s: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(s)) out += String.fromCharCode(b);
  return out;
}

// Back from byte string to text (Go prints the bytes; invalid UTF-8 → U+FFFD).
function text(b: string): string {
  const u = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i);
  return new TextDecoder().decode(u);
}

// Go's %c of a byte value: the rune with that code point.
const pc = (b: string | undefined) => b === undefined ? "" : b;

function parseToken(s: string, isIdent: boolean): [string, string] {
  if (s.length === 0) throw new Error("empty token");
  const first = s[0];
  if (!(isAlpha(first) || (isIdent && isIdentSymbol(first)))) {
    throw new Error(`invalid token start: ${pc(first)}`);
  }
  let pos = 1;
  while (pos < s.length) {
    const c = s[pos];
    if (!(isAlpha(c) || isDigit(c) || (isIdent && isIdentSymbol(c)))) break;
    pos++;
  }
  return [s.slice(0, pos), s.slice(pos)];
}

function parseElementaryType(s: string): [string, string] {
  let parsed: string, rest: string;
  try {
    [parsed, rest] = parseToken(s, false);
  } catch (e) {
    throw new Error(`failed to parse elementary type: ${(e as Error).message}`);
  }
  while (rest.length > 0 && rest[0] === "[") {
    parsed += rest[0];
    rest = rest.slice(1);
    while (rest.length > 0 && isDigit(rest[0])) {
      parsed += rest[0];
      rest = rest.slice(1);
    }
    if (rest.length === 0 || rest[0] !== "]") {
      throw new Error(`failed to parse array: expected ']', got ${pc(s[0])}`);
    }
    parsed += rest[0];
    rest = rest.slice(1);
  }
  return [parsed, rest];
}

function parseCompositeType(s: string, depth: number): [Parsed[], string] {
  if (s.length === 0) throw new SelectorPanicError(); // Go indexes s[0]
  if (s[0] !== "(") throw new Error(`expected '(', got ${pc(s[0])}`);
  if (depth > MAX_ABI_DEPTH) throw new Error("selector nested too deeply");
  let [t, rest] = parseTypeWrapped(s.slice(1), depth);
  const result: Parsed[] = [t];
  while (rest.length > 0 && rest[0] !== ")") {
    [t, rest] = parseTypeWrapped(rest.slice(1), depth);
    result.push(t);
  }
  if (rest.length === 0 || rest[0] !== ")") {
    throw new Error(`expected ')', got '${text(rest)}'`);
  }
  if (rest.length >= 3 && rest[1] === "[" && rest[2] === "]") {
    result.push("[]");
    return [result, rest.slice(3)];
  }
  return [result, rest.slice(1)];
}

function parseTypeWrapped(s: string, depth: number): [Parsed, string] {
  try {
    return parseType(s, depth + 1);
  } catch (e) {
    if (e instanceof SelectorPanicError) throw e;
    throw new Error(`failed to parse type: ${(e as Error).message}`);
  }
}

function parseType(s: string, depth: number): [Parsed, string] {
  if (s.length === 0) throw new Error("empty type");
  if (s[0] === "(") return parseCompositeType(s, depth);
  return parseElementaryType(s);
}

/** go-ethereum `abi.ArgumentMarshaling` as built from a selector. */
export interface ArgumentMarshaling {
  /** Generated name `name<i>`. */
  name: string;
  /** ABI type text (`tuple`/`tuple[]` for tuples). */
  type: string;
  /** Tuple components, null for elementary types. */
  components: ArgumentMarshaling[] | null;
}

function assembleArgs(args: Parsed[]): ArgumentMarshaling[] {
  return args.map((arg, i) => {
    const name = `name${i}`;
    if (typeof arg === "string") return { name, type: arg, components: null };
    let sub = assembleArgs(arg);
    let type = "tuple";
    if (sub.length !== 0 && sub[sub.length - 1].type === "[]") {
      sub = sub.slice(0, -1);
      type = "tuple[]";
    }
    return { name, type, components: sub };
  });
}

/** A parsed selector: function name and its fake ABI arguments. */
export interface ParsedSelector {
  /** Function name. */
  name: string;
  /** Arguments. */
  inputs: ArgumentMarshaling[];
}

/**
 * go-ethereum `abi.ParseSelector` (no whitespace, `name(type,...)`).
 *
 * @param selector Selector text, e.g. `transfer(address,uint256)`.
 * @returns Name and arguments (names `name0`, `name1`, ...).
 * @throws {Error} `failed to parse selector '<text>': <detail>`.
 * @throws {SelectorPanicError} when the parameter list is missing (clef
 * crashes there).
 *
 * @example Usage
 * ```ts
 * import { parseSelector } from "./abi_decode.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(parseSelector("f((uint256,bool)[],bytes32)").inputs[0].type, "tuple[]");
 * ```
 */
export function parseSelector(selector: string): ParsedSelector {
  if (selector.length > MAX_SELECTOR_LENGTH) {
    throw new Error(
      `failed to parse selector '${selector}': selector too long`,
    );
  }
  const s = bytesString(selector);
  const wrap = (e: unknown): never => {
    if (e instanceof SelectorPanicError) throw e;
    throw new Error(
      `failed to parse selector '${selector}': ${(e as Error).message}`,
    );
  };
  let name = "", rest = "";
  try {
    [name, rest] = parseToken(s, true);
  } catch (e) {
    wrap(e);
  }
  let args: Parsed[] = [];
  if (rest.length >= 2 && rest[0] === "(" && rest[1] === ")") {
    rest = rest.slice(2);
  } else {
    try {
      [args, rest] = parseCompositeType(rest, 0);
    } catch (e) {
      wrap(e);
    }
  }
  if (rest.length > 0) {
    throw new Error(
      `failed to parse selector '${selector}': unexpected string '${
        text(rest)
      }'`,
    );
  }
  return { name: text(name), inputs: assembleArgs(args) };
}

// Go's json.Marshal([]abi.SelectorMarshaling{sel}) (only [A-Za-z0-9$_[]] occur).
function selectorJson(sel: ParsedSelector): string {
  const arg = (a: ArgumentMarshaling): string =>
    `{"Name":"${a.name}","Type":"${a.type}","InternalType":"${a.type}","Components":${
      a.components === null ? "null" : `[${a.components.map(arg).join(",")}]`
    },"Indexed":false}`;
  return `[{"name":"${sel.name}","type":"function","inputs":[${
    sel.inputs.map(arg).join(",")
  }]}]`;
}

// Go %q of ASCII text without control characters.
const quote = (s: string) =>
  '"' + s.replaceAll("\\", "\\\\").replaceAll('"', '\\"') + '"';

// ---------------------------------------------------------------------------
// ABI types (accounts/abi/type.go)

/** An ABI type as go-ethereum models it. */
export type AbiType =
  | { t: "int" | "uint"; size: number; str: string }
  | { t: "bool" | "string" | "bytes" | "address"; str: string }
  | { t: "fixedbytes"; size: number; str: string }
  | { t: "function"; str: string }
  | { t: "slice"; elem: AbiType; str: string }
  | { t: "array"; elem: AbiType; size: number; str: string }
  | { t: "tuple"; elems: AbiType[]; str: string };

function goAtoi(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) {
    throw new Error(`strconv.Atoi: parsing ${quote(s)}: invalid syntax`);
  }
  const n = BigInt(s);
  if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) {
    throw new Error(`strconv.Atoi: parsing ${quote(s)}: value out of range`);
  }
  return Number(n);
}

function count(s: string, c: string): number {
  return s.split(c).length - 1;
}

/**
 * go-ethereum `abi.NewType` for the types a selector can produce.
 *
 * @param t Type string, e.g. `uint256[]`.
 * @param components Tuple components.
 * @returns The type.
 * @throws {Error} go-ethereum's message, e.g. `unsupported arg type: uint`.
 */
export function newAbiType(
  t: string,
  components: ArgumentMarshaling[] | null,
): AbiType {
  if (count(t, "[") !== count(t, "]")) {
    throw new Error("invalid arg type in abi");
  }
  if (count(t, "[") !== 0) {
    if (count(t, "[") > MAX_ABI_DEPTH) {
      throw new Error("abi: type nested too deeply");
    }
    const i = t.lastIndexOf("[");
    const elem = newAbiType(t.slice(0, i), components);
    const sliced = t.slice(i);
    const intz = sliced.match(/[0-9]+/g) ?? [];
    if (intz.length === 0) {
      return { t: "slice", elem, str: elem.str + sliced };
    }
    if (intz.length === 1) {
      let size: number;
      try {
        size = goAtoi(intz[0]);
      } catch (e) {
        throw new Error(
          `abi: error parsing variable size: ${(e as Error).message}`,
        );
      }
      if (size > 1 << 20) throw new Error("abi: array size too large");
      return { t: "array", elem, size, str: elem.str + sliced };
    }
    throw new Error("invalid formatting of array type");
  }
  const m = /([a-zA-Z]+)(([0-9]+)(x([0-9]+))?)?/.exec(t);
  if (m === null) throw new Error(`invalid type '${t}'`);
  let varSize = 0;
  if (m[3] !== undefined && m[3].length > 0) {
    try {
      varSize = goAtoi(m[2]);
    } catch (e) {
      throw new Error(
        `abi: error parsing variable size: ${(e as Error).message}`,
      );
    }
  } else if (m[0] === "uint" || m[0] === "int") {
    throw new Error(`unsupported arg type: ${t}`);
  }
  switch (m[1]) {
    case "int":
    case "uint":
      return { t: m[1], size: varSize, str: t };
    case "bool":
    case "address":
    case "string":
      return { t: m[1], str: t };
    case "bytes":
      if (varSize === 0) return { t: "bytes", str: t };
      if (varSize > 32) throw new Error(`unsupported arg type: ${t}`);
      return { t: "fixedbytes", size: varSize, str: t };
    case "tuple": {
      const elems = (components ?? []).map((c) =>
        newAbiType(c.type, c.components)
      );
      return {
        t: "tuple",
        elems,
        str: "(" + elems.map((e) => e.str).join(",") + ")",
      };
    }
    case "function":
      return { t: "function", str: t };
    default:
      throw new Error(`unsupported arg type: ${t}`);
  }
}

function isDynamic(t: AbiType): boolean {
  if (t.t === "tuple") return t.elems.some(isDynamic);
  return t.t === "string" || t.t === "bytes" || t.t === "slice" ||
    (t.t === "array" && isDynamic(t.elem));
}

function typeSize(t: AbiType): number {
  if (t.t === "array" && !isDynamic(t.elem)) {
    if (t.elem.t === "array" || t.elem.t === "tuple") {
      return t.size * typeSize(t.elem);
    }
    return t.size * 32;
  }
  if (t.t === "tuple" && !isDynamic(t)) {
    return t.elems.reduce((n, e) => n + typeSize(e), 0);
  }
  return 32;
}

// ---------------------------------------------------------------------------
// Decoding (accounts/abi/unpack.go)

/** A decoded ABI value. */
export type AbiValue =
  | { k: "int"; v: bigint }
  | { k: "bool"; v: boolean }
  | { k: "string"; v: Uint8Array }
  | { k: "bytes"; v: Uint8Array }
  | { k: "address"; v: Uint8Array }
  | { k: "list"; v: AbiValue[] }
  | { k: "tuple"; v: AbiValue[] };

const big = (b: Uint8Array): bigint =>
  b.length === 0 ? 0n : BigInt("0x" + toHex(b));
const TWO256 = 1n << 256n;

function readInteger(
  t: AbiType & { t: "int" | "uint" },
  word: Uint8Array,
): bigint {
  let n = big(word);
  if (t.t === "uint") {
    const max = t.size === 8 || t.size === 16 || t.size === 32 || t.size === 64
      ? (1n << BigInt(t.size)) - 1n
      : undefined;
    if (max !== undefined && n > max) {
      throw new Error(`abi: improperly encoded uint${t.size} value`);
    }
    return n;
  }
  if (n >> 255n) n -= TWO256;
  if (t.size === 8 || t.size === 16 || t.size === 32 || t.size === 64) {
    const lim = 1n << BigInt(t.size - 1);
    if (n < -lim || n >= lim) {
      throw new Error(`abi: improperly encoded int${t.size} value`);
    }
  }
  return n;
}

function goBytes(b: Uint8Array): string {
  return "[" + Array.from(b).join(" ") + "]";
}

function lengthPrefixPointsTo(
  index: number,
  out: Uint8Array,
): [number, number] {
  const offsetEnd = big(out.subarray(index, index + 32)) + 32n;
  const outLen = BigInt(out.length);
  if (offsetEnd > outLen) {
    throw new Error(
      `abi: cannot marshal in to go slice: offset ${offsetEnd} would go over slice boundary (len=${outLen})`,
    );
  }
  const oe = Number(offsetEnd);
  const length = big(out.subarray(oe - 32, oe));
  const total = offsetEnd + length;
  if (total >= 1n << 63n) {
    throw new Error(`abi: length larger than int64: ${total}`);
  }
  if (total > outLen) {
    throw new Error(
      `abi: cannot marshal in to go type: length insufficient ${outLen} require ${total}`,
    );
  }
  return [oe, Number(length)];
}

function tuplePointsTo(index: number, out: Uint8Array): number {
  const offset = big(out.subarray(index, index + 32));
  const outLen = BigInt(out.length);
  if (offset > outLen) {
    throw new Error(
      `abi: cannot marshal in to go slice: offset ${offset} would go over slice boundary (len=${outLen})`,
    );
  }
  return Number(offset);
}

function forEachUnpack(
  t: AbiType & { t: "slice" | "array" },
  out: Uint8Array,
  start: number,
  size: number,
): AbiValue {
  if (start + 32 * size > out.length) {
    throw new Error(
      `abi: cannot marshal into go array: offset ${
        start + 32 * size
      } would go over slice boundary (len=${out.length})`,
    );
  }
  const elemSize = typeSize(t.elem);
  const v: AbiValue[] = [];
  for (let i = start, j = 0; j < size; i += elemSize, j++) {
    v.push(toValue(i, t.elem, out));
  }
  return { k: "list", v };
}

function forTupleUnpack(elems: AbiType[], out: Uint8Array): AbiValue[] {
  const v: AbiValue[] = [];
  let virtual = 0;
  elems.forEach((e, index) => {
    v.push(toValue((index + virtual) * 32, e, out));
    if ((e.t === "array" || e.t === "tuple") && !isDynamic(e)) {
      virtual += typeSize(e) / 32 - 1;
    }
  });
  return v;
}

// Values left to decode in the current verifySelector call.
let budget = MAX_ABI_VALUES;

function toValue(index: number, t: AbiType, out: Uint8Array): AbiValue {
  if (--budget < 0) throw new Error("abi: too many values to decode");
  if (index + 32 > out.length) {
    throw new Error(
      `abi: cannot marshal in to go type: length insufficient ${out.length} require ${
        index + 32
      }`,
    );
  }
  let begin = 0, length = 0;
  if (t.t === "string" || t.t === "bytes" || t.t === "slice") {
    [begin, length] = lengthPrefixPointsTo(index, out);
  }
  const word = out.subarray(index, index + 32);
  switch (t.t) {
    case "tuple": {
      const base = isDynamic(t) ? tuplePointsTo(index, out) : index;
      return { k: "tuple", v: forTupleUnpack(t.elems, out.subarray(base)) };
    }
    case "slice":
      return forEachUnpack(t, out.subarray(begin), 0, length);
    case "array": {
      if (isDynamic(t.elem)) {
        const offset = big(word.subarray(24));
        if (offset > BigInt(out.length)) {
          throw new Error(
            `abi: toGoType offset greater than output length: offset: ${offset}, len(output): ${out.length}`,
          );
        }
        return forEachUnpack(t, out.subarray(Number(offset)), 0, t.size);
      }
      return forEachUnpack(t, out.subarray(index), 0, t.size);
    }
    case "string":
      return { k: "string", v: out.slice(begin, begin + length) };
    case "bytes":
      return { k: "bytes", v: out.slice(begin, begin + length) };
    case "int":
    case "uint":
      return { k: "int", v: readInteger(t, word) };
    case "bool": {
      if (word.subarray(0, 31).some((b) => b !== 0) || word[31] > 1) {
        throw new Error("abi: improperly encoded boolean value");
      }
      return { k: "bool", v: word[31] === 1 };
    }
    case "address":
      return { k: "address", v: word.slice(12) };
    case "fixedbytes":
      return { k: "bytes", v: word.slice(0, t.size) };
    case "function":
      if (word.subarray(24).some((b) => b !== 0)) {
        throw new Error(
          `abi: got improperly encoded function type, got ${goBytes(word)}`,
        );
      }
      return { k: "bytes", v: word.slice(0, 24) };
  }
}

// ---------------------------------------------------------------------------
// Encoding (accounts/abi/pack.go, type.go pack)

function word(n: bigint): Uint8Array {
  const w = new Uint8Array(32);
  let x = ((n % TWO256) + TWO256) % TWO256;
  for (let i = 31; i >= 0 && x > 0n; i--) {
    w[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return w;
}

function rightPad(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(b.length / 32) * 32);
  out.set(b);
  return out;
}

function cat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function encodeSequence(types: AbiType[], values: AbiValue[]): Uint8Array {
  let offset = types.reduce((n, t) => n + typeSize(t), 0);
  const head: Uint8Array[] = [];
  const tail: Uint8Array[] = [];
  types.forEach((t, i) => {
    const enc = encodeValue(t, values[i]);
    if (isDynamic(t)) {
      head.push(word(BigInt(offset)));
      tail.push(enc);
      offset += enc.length;
    } else {
      head.push(enc);
    }
  });
  return cat([...head, ...tail]);
}

function encodeValue(t: AbiType, v: AbiValue): Uint8Array {
  switch (t.t) {
    case "slice":
    case "array": {
      const items = (v as { v: AbiValue[] }).v;
      const prefix = t.t === "slice" ? [word(BigInt(items.length))] : [];
      if (!isDynamic(t.elem)) {
        return cat([...prefix, ...items.map((x) => encodeValue(t.elem, x))]);
      }
      return cat([...prefix, encodeSequence(items.map(() => t.elem), items)]);
    }
    case "tuple":
      return encodeSequence(t.elems, (v as { v: AbiValue[] }).v);
    case "string":
    case "bytes": {
      const b = (v as { v: Uint8Array }).v;
      return cat([word(BigInt(b.length)), rightPad(b)]);
    }
    case "int":
    case "uint":
      return word((v as { v: bigint }).v);
    case "bool":
      return word((v as { v: boolean }).v ? 1n : 0n);
    case "address": {
      const w = new Uint8Array(32);
      w.set((v as { v: Uint8Array }).v, 12);
      return w;
    }
    case "fixedbytes":
    case "function": {
      const w = new Uint8Array(32);
      w.set((v as { v: Uint8Array }).v);
      return w;
    }
  }
}

// ---------------------------------------------------------------------------
// Display (Go %v)

function display(v: AbiValue, parts: (string | Uint8Array)[]): void {
  switch (v.k) {
    case "int":
      parts.push(v.v.toString());
      return;
    case "bool":
      parts.push(String(v.v));
      return;
    case "string":
      parts.push(v.v);
      return;
    case "bytes":
      parts.push(goBytes(v.v));
      return;
    case "address":
      parts.push(toChecksumAddress(v.v));
      return;
    case "list":
    case "tuple":
      parts.push(v.k === "list" ? "[" : "{");
      v.v.forEach((x, i) => {
        if (i > 0) parts.push(" ");
        display(x, parts);
      });
      parts.push(v.k === "list" ? "]" : "}");
  }
}

/** A call decoded against a selector. */
export interface DecodedCall {
  /** Function name as written. */
  name: string;
  /** Canonical signature `name(type,...)` the id was computed from. */
  signature: string;
  /** Argument types and values. */
  inputs: { type: AbiType; value: AbiValue }[];
}

/**
 * The decoded call text clef shows: `name(type: value,type: value)`, as
 * UTF-8 bytes (string arguments are copied verbatim, as Go does).
 *
 * @param call The decoded call.
 * @returns UTF-8 bytes of the text (pass to `goQuote` for `%q`).
 */
export function decodedCallBytes(call: DecodedCall): Uint8Array {
  const parts: (string | Uint8Array)[] = [call.name, "("];
  call.inputs.forEach((a, i) => {
    if (i > 0) parts.push(",");
    parts.push(a.type.str, ": ");
    display(a.value, parts);
  });
  parts.push(")");
  const enc = new TextEncoder();
  return cat(parts.map((p) => typeof p === "string" ? enc.encode(p) : p));
}

/**
 * The decoded call text as a string (invalid UTF-8 in string arguments
 * becomes U+FFFD).
 *
 * @param call The decoded call.
 * @returns e.g. `transfer(address: 0x…,uint256: 5)`.
 *
 * @example Usage
 * ```ts
 * import { decodedCallString, verifySelector } from "./abi_decode.ts";
 * import { strictEqual } from "node:assert/strict";
 * const data = new Uint8Array(36);
 * data.set([0xa5, 0x2c, 0x10, 0x1e]);
 * data[35] = 0x12;
 * strictEqual(decodedCallString(verifySelector("send(uint256)", data)), "send(uint256: 18)");
 * ```
 */
export function decodedCallString(call: DecodedCall): string {
  return new TextDecoder().decode(decodedCallBytes(call));
}

/**
 * Builds go-ethereum's `Method` from a parsed selector.
 *
 * @throws {Error} `invalid method signature (<json>): <NewType error>`.
 */
function methodFromSelector(sel: ParsedSelector) {
  let types: AbiType[];
  try {
    types = sel.inputs.map((a) => newAbiType(a.type, a.components));
  } catch (e) {
    throw new Error(
      `invalid method signature (${quote(selectorJson(sel))}): ${
        (e as Error).message
      }`,
    );
  }
  const signature = `${sel.name}(${types.map((t) => t.str).join(",")})`;
  const id = keccak_256(new TextEncoder().encode(signature)).subarray(0, 4);
  const str = `function ${sel.name}(${
    types.map((t, i) => `${t.str} name${i}`).join(", ")
  }) returns()`;
  return { name: sel.name, types, signature, id, str };
}

/**
 * Decodes calldata against one selector (signer/fourbyte `verifySelector`):
 * parse, check lengths, match the 4-byte id, decode strictly, re-encode and
 * compare.
 *
 * @param selector Selector text, e.g. `transfer(address,uint256)`.
 * @param calldata The full calldata (id + arguments).
 * @returns The decoded call.
 * @throws {Error} with clef's message (see signing.md §7.1).
 * @throws {SelectorPanicError} for a selector without parameter list.
 *
 * @example Usage
 * ```ts
 * import { verifySelector } from "./abi_decode.ts";
 * import { throws } from "node:assert/strict";
 * throws(() => verifySelector("f(uint256)", new Uint8Array(3)), {
 *   message: "invalid call data, incomplete method signature (3 bytes < 4)",
 * });
 * ```
 */
export function verifySelector(
  selector: string,
  calldata: Uint8Array,
): DecodedCall {
  let sel: ParsedSelector;
  try {
    sel = parseSelector(selector);
  } catch (e) {
    if (e instanceof SelectorPanicError) throw e;
    throw new Error(`failed to parse selector: ${(e as Error).message}`);
  }
  if (calldata.length < 4) {
    throw new Error(
      `invalid call data, incomplete method signature (${calldata.length} bytes < 4)`,
    );
  }
  const argdata = calldata.subarray(4);
  if (argdata.length % 32 !== 0) {
    throw new Error(
      `invalid call data; length should be a multiple of 32 bytes (was ${argdata.length})`,
    );
  }
  const m = methodFromSelector(sel);
  if (!m.id.every((b, i) => b === calldata[i])) {
    throw new Error(`no method with id: 0x${toHex(calldata.subarray(0, 4))}`);
  }
  let values: AbiValue[];
  try {
    budget = MAX_ABI_VALUES;
    values = forTupleUnpack(m.types, argdata);
  } catch (e) {
    throw new Error(
      `signature ${quote(m.str)} matches, but arguments mismatch: ${
        (e as Error).message
      }`,
    );
  }
  const encoded = encodeSequence(m.types, values);
  if (toHex(encoded) !== toHex(argdata)) {
    throw new Error(
      `WARNING: Supplied data is stuffed with extra data. \nWant ${
        toHex(argdata)
      }\nHave ${toHex(encoded)}\nfor method ${m.signature}`,
    );
  }
  return {
    name: m.name,
    signature: m.signature,
    inputs: m.types.map((type, i) => ({ type, value: values[i] })),
  };
}

/**
 * The 4-byte id of a selector as clef computes it (after parsing and
 * ABI type checks): `keccak(name(types))[0:4]`.
 *
 * @param selector Selector text.
 * @returns The 4-byte id.
 * @throws {Error} when the selector does not parse or has invalid types.
 *
 * @example Usage
 * ```ts
 * import { selectorId } from "./abi_decode.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(selectorId("transfer(address,uint256)"), new Uint8Array([0xa9, 0x05, 0x9c, 0xbb]));
 * ```
 */
export function selectorId(selector: string): Uint8Array {
  return methodFromSelector(parseSelector(selector)).id.slice();
}
