/**
 * Go `fmt` renderings of decoded JSON values, as they appear inside clef's
 * EIP-712 error messages and display strings (`%v`, `%s`, `%T`), plus the
 * Go-specific value kinds typed data can hold (`*math.HexOrDecimal256`,
 * `hexutil.Bytes`).
 *
 * @module
 */
import { goDecodeRune } from "../ui/go_format.ts";
import { JsonNumber } from "../json.ts";
import { toHex } from "../_bytes.ts";

/** go-ethereum `*math.HexOrDecimal256` (the EIP-712 domain `chainId`). */
export class GoBigInt {
  /** The integer. */
  readonly value: bigint;
  /**
   * Wraps an integer.
   *
   * @param value The integer.
   */
  constructor(value: bigint) {
    this.value = value;
  }
}

/**
 * A Go `interface{}` value as clef holds it: decoded JSON, or one of the
 * typed values clef puts into typed data itself.
 */
export type GoValue =
  | null
  | boolean
  | string
  | JsonNumber
  | number
  | GoValue[]
  | { [key: string]: GoValue }
  | GoBigInt
  | Uint8Array;

/** Go's `<` on strings (UTF-8 byte order = code point order). */
export function compareGoStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (astral code point) sorts after every BMP code point.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Reports whether `v` is a JSON object (map) value. */
export function isGoMap(v: unknown): v is { [key: string]: GoValue } {
  return typeof v === "object" && v !== null && !Array.isArray(v) &&
    !(v instanceof JsonNumber) && !(v instanceof GoBigInt) &&
    !(v instanceof Uint8Array);
}

/** Go `strconv.FormatFloat(v, 'g', -1, 64)`, i.e. `%v` of a float64. */
export function goFormatFloat(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const neg = v < 0;
  const [mant, e] = Math.abs(v).toExponential().split("e");
  const digits = mant.replace(".", "");
  const exp = Number(e);
  let out: string;
  if (exp < -4 || exp >= 6) {
    out = digits[0] + (digits.length > 1 ? "." + digits.slice(1) : "") +
      "e" + (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(2, "0");
  } else if (exp < 0) {
    out = "0." + "0".repeat(-exp - 1) + digits;
  } else if (digits.length <= exp + 1) {
    out = digits + "0".repeat(exp + 1 - digits.length);
  } else {
    out = digits.slice(0, exp + 1) + "." + digits.slice(exp + 1);
  }
  return neg ? "-" + out : out;
}

/** `%v` / `%s` of a `*big.Int`-like struct value: `&{false [1]}`. */
function bigStruct(v: bigint, verb: "v" | "s"): string {
  const neg = v < 0n;
  let abs = neg ? -v : v;
  const words: string[] = [];
  while (abs > 0n) {
    words.push((abs & 0xffffffffffffffffn).toString());
    abs >>= 64n;
  }
  if (verb === "v") return `&{${neg} [${words.join(" ")}]}`;
  return `&{%!s(bool=${neg}) [${
    words.map((w) => `%!s(big.Word=${w})`).join(" ")
  }]}`;
}

function numberOf(v: JsonNumber | number): number {
  return typeof v === "number" ? v : v.value;
}

/** Go `reflect.TypeOf(v).String()` (`<nil>` for nil). */
export function goTypeName(v: GoValue): string {
  if (v === null) return "<nil>";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "string") return "string";
  if (typeof v === "number" || v instanceof JsonNumber) return "float64";
  if (Array.isArray(v)) return "[]interface {}";
  if (v instanceof GoBigInt) return "*math.HexOrDecimal256";
  if (v instanceof Uint8Array) return "hexutil.Bytes";
  return "map[string]interface {}";
}

function formatScalar(v: GoValue, verb: "v" | "s", depth: number): string {
  if (v === null) return depth === 0 && verb === "s" ? "%!s(<nil>)" : "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "boolean") {
    return verb === "v" ? String(v) : `%!s(bool=${v})`;
  }
  if (typeof v === "number" || v instanceof JsonNumber) {
    const f = goFormatFloat(numberOf(v));
    return verb === "v" ? f : `%!s(float64=${f})`;
  }
  if (v instanceof Uint8Array) return "0x" + toHex(v); // hexutil.Bytes.String
  return bigStruct((v as GoBigInt).value, verb);
}

/**
 * Go's `%v`/`%s` of a value. Iterative: values as deep as the JSON parser
 * allows must not overflow the call stack.
 */
function formatValue(root: GoValue, verb: "v" | "s"): string {
  const out: string[] = [];
  type Task = { v: GoValue; depth: number } | string;
  const tasks: Task[] = [{ v: root, depth: 0 }];
  while (tasks.length > 0) {
    const t = tasks.pop()!;
    if (typeof t === "string") {
      out.push(t);
      continue;
    }
    const { v, depth } = t;
    if (Array.isArray(v)) {
      tasks.push("]");
      for (let i = v.length - 1; i >= 0; i--) {
        tasks.push({ v: v[i], depth: depth + 1 });
        if (i > 0) tasks.push(" ");
      }
      out.push("[");
    } else if (isGoMap(v)) {
      const keys = Object.keys(v).sort(compareGoStrings);
      tasks.push("]");
      for (let i = keys.length - 1; i >= 0; i--) {
        tasks.push({ v: v[keys[i]], depth: depth + 1 });
        tasks.push(keys[i] + ":");
        if (i > 0) tasks.push(" ");
      }
      out.push("map[");
    } else {
      out.push(formatScalar(v, verb, depth));
    }
  }
  return out.join("");
}

/** Go `fmt.Sprintf("%v", v)` for a decoded JSON / typed-data value. */
export function goV(v: GoValue): string {
  return formatValue(v, "v");
}

/** Go `fmt.Sprintf("%s", v)` for a decoded JSON / typed-data value. */
export function goS(v: GoValue): string {
  return formatValue(v, "s");
}

/**
 * Converts bytes to a string the way Go's JSON encoder shows a Go string:
 * every byte that is not part of a valid UTF-8 sequence becomes U+FFFD.
 */
export function goBytesToString(b: Uint8Array): string {
  let out = "";
  let i = 0;
  while (i < b.length) {
    const [r, w] = goDecodeRune(b, i);
    out += r < 0 ? "\ufffd" : String.fromCodePoint(r);
    i += w;
  }
  return out;
}
