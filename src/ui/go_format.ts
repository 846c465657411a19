/**
 * Go formatting rules the UIs reproduce byte for byte: `%q` quoting
 * (`strconv.Quote`), `strings.TrimSpace`, and `encoding/json` output
 * (`json.Marshal` / `json.MarshalIndent`) for plain JSON-like values.
 *
 * Spec: ui-api.md §5.2 (Go `%q` of header values and raw data), §5.4
 * (`strings.TrimSpace` of the pretty-printed messages), §5.7
 * (`MarshalIndent` of the signed transaction), §2.1 (one JSON text per line).
 *
 * @module
 */
import { JsonNumber } from "../json.ts";

const HEX = "0123456789abcdef";
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const encoder = new TextEncoder();

/**
 * Reports whether a code point is printable as Go's `strconv.IsPrint`
 * defines it: letters, marks, numbers, punctuation, symbols and the ASCII
 * space (other spaces such as U+00A0 are not printable).
 *
 * @param codePoint A Unicode code point.
 * @returns true when `%q` shows the code point literally.
 *
 * @example Usage
 * ```ts
 * import { goIsPrint } from "./go_format.ts";
 * import { ok } from "node:assert/strict";
 * ok(goIsPrint(0x41) && goIsPrint(0x20) && !goIsPrint(0xa0));
 * ```
 */
export function goIsPrint(codePoint: number): boolean {
  if (codePoint === 0x20) return true;
  if (codePoint < 0x20 || codePoint === 0x7f) return false;
  if (codePoint < 0x7f) return true;
  return PRINTABLE.test(String.fromCodePoint(codePoint));
}

/**
 * Decodes one UTF-8 sequence at `i` as Go's `utf8.DecodeRune` does.
 *
 * @param b The bytes.
 * @param i Offset of the sequence.
 * @returns The rune and its width, or rune -1 with width 1 when invalid.
 */
export function goDecodeRune(b: Uint8Array, i: number): [number, number] {
  const b0 = b[i];
  if (b0 < 0x80) return [b0, 1];
  const cont = (k: number, lo = 0x80, hi = 0xbf) =>
    i + k < b.length && b[i + k] >= lo && b[i + k] <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    return cont(1) ? [((b0 & 0x1f) << 6) | (b[i + 1] & 0x3f), 2] : [-1, 1];
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    if (!cont(1, lo, hi) || !cont(2)) return [-1, 1];
    return [
      ((b0 & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f),
      3,
    ];
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    if (!cont(1, lo, hi) || !cont(2) || !cont(3)) return [-1, 1];
    return [
      ((b0 & 0x07) << 18) | ((b[i + 1] & 0x3f) << 12) |
      ((b[i + 2] & 0x3f) << 6) | (b[i + 3] & 0x3f),
      4,
    ];
  }
  return [-1, 1];
}

function hexPad(n: number, width: number): string {
  let s = "";
  for (let k = width - 1; k >= 0; k--) s += HEX[(n >>> (4 * k)) & 15];
  return s;
}

/**
 * Quotes text as Go's `%q` verb (`strconv.Quote`): a double-quoted string
 * with `\"`, `\\`, `\a \b \f \n \r \t \v`, `\xNN` for other control bytes
 * and invalid UTF-8 bytes, `\uXXXX` / `\UXXXXXXXX` for non-printable runes.
 *
 * @param input A string (UTF-8 encoded first; lone surrogates become
 *   U+FFFD) or raw bytes (Go `%q` of a `[]byte`).
 * @returns The quoted form.
 *
 * @example Usage
 * ```ts
 * import { goQuote } from "./go_format.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(goQuote('a"b\n\u00a0'), '"a\\"b\\n\\u00a0"');
 * strictEqual(goQuote(new Uint8Array([0x19, 0xff])), '"\\x19\\xff"');
 * ```
 */
export function goQuote(input: string | Uint8Array): string {
  const b = typeof input === "string" ? encoder.encode(input) : input;
  let out = '"';
  for (let i = 0; i < b.length;) {
    const [r, w] = goDecodeRune(b, i);
    if (r < 0) {
      out += "\\x" + hexPad(b[i], 2);
    } else if (r === 0x22 || r === 0x5c) {
      out += "\\" + String.fromCharCode(r);
    } else if (goIsPrint(r)) {
      out += String.fromCodePoint(r);
    } else {
      switch (r) {
        case 7:
          out += "\\a";
          break;
        case 8:
          out += "\\b";
          break;
        case 12:
          out += "\\f";
          break;
        case 10:
          out += "\\n";
          break;
        case 13:
          out += "\\r";
          break;
        case 9:
          out += "\\t";
          break;
        case 11:
          out += "\\v";
          break;
        default:
          if (r < 0x20 || r === 0x7f) out += "\\x" + hexPad(r, 2);
          else if (r < 0x10000) out += "\\u" + hexPad(r, 4);
          else out += "\\U" + hexPad(r, 8);
      }
    }
    i += w;
  }
  return out + '"';
}

/**
 * Go's `sanitize` in `cliui.go`: `%q` of the first `limit` UTF-8 bytes,
 * followed by `...` when the text was longer.
 *
 * @param text The untrusted text (User-Agent, Origin).
 * @param limit Maximum number of bytes shown.
 * @returns The quoted, possibly truncated text.
 *
 * @example Usage
 * ```ts
 * import { goSanitize } from "./go_format.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(goSanitize("abcdef", 3), '"abc"...');
 * strictEqual(goSanitize("", 3), '""');
 * ```
 */
export function goSanitize(text: string, limit: number): string {
  const b = encoder.encode(text);
  if (b.length > limit) return goQuote(b.subarray(0, limit)) + "...";
  return goQuote(b);
}

function isGoSpace(c: number): boolean {
  return (c >= 9 && c <= 13) || c === 0x20 || c === 0x85 || c === 0xa0 ||
    c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 ||
    c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/**
 * Go's `strings.TrimSpace`: removes leading and trailing Unicode white
 * space (`unicode.IsSpace`, which includes NEL and NBSP but, unlike
 * `String.prototype.trim`, not U+FEFF).
 *
 * @param s Text to trim.
 * @returns The trimmed text.
 *
 * @example Usage
 * ```ts
 * import { goTrimSpace } from "./go_format.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(goTrimSpace("\u00a0 x\n"), "x");
 * strictEqual(goTrimSpace("\ufeffx"), "\ufeffx");
 * ```
 */
export function goTrimSpace(s: string): string {
  let a = 0;
  let z = s.length;
  while (a < z && isGoSpace(s.charCodeAt(a))) a++;
  while (z > a && isGoSpace(s.charCodeAt(z - 1))) z--;
  return s.slice(a, z);
}

/** Escapes a string as Go's `encoding/json` does (HTML-safe). */
function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i] + s[i + 1];
        i++;
      } else {
        out += "\\ufffd";
      }
      continue;
    }
    if (c >= 0xdc00 && c <= 0xdfff) {
      out += "\\ufffd";
      continue;
    }
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += "\\\\";
        break;
      case 0x0a:
        out += "\\n";
        break;
      case 0x0d:
        out += "\\r";
        break;
      case 0x09:
        out += "\\t";
        break;
      case 0x08:
        out += "\\b";
        break;
      case 0x0c:
        out += "\\f";
        break;
      default:
        if (
          c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 ||
          c === 0x2028 || c === 0x2029
        ) {
          out += "\\u" + hexPad(c, 4);
        } else {
          out += s[i];
        }
    }
  }
  return out + '"';
}

/** Options for {@linkcode goJsonStringify}. */
export interface GoJsonOptions {
  /** `MarshalIndent` prefix, written at the start of every line but the first. */
  prefix?: string;
  /** `MarshalIndent` indent; when absent (and no prefix) the output is compact. */
  indent?: string;
}

/**
 * Encodes a JSON-like value as Go's `json.Marshal` (or `json.MarshalIndent`
 * when `indent`/`prefix` is given) would: object keys in insertion order,
 * properties whose value is `undefined` left out, `<`, `>`, `&`, U+2028 and
 * U+2029 escaped as `\u00XX`, lone surrogates as `\ufffd`,
 * {@linkcode JsonNumber}s written as their literal and `bigint`s in decimal.
 *
 * @param value Plain objects, arrays, strings, numbers, booleans, null,
 *   JsonNumber, bigint, or objects with a `toJSON()` method.
 * @param options Indentation (`MarshalIndent`).
 * @returns The JSON text (no trailing newline).
 * @throws {TypeError} for values JSON cannot express (functions, symbols,
 *   non-finite numbers).
 *
 * @example Usage
 * ```ts
 * import { goJsonStringify } from "./go_format.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(goJsonStringify({ a: "<x>", b: [1, null] }), '{"a":"\\u003cx\\u003e","b":[1,null]}');
 * strictEqual(
 *   goJsonStringify({ a: 1, b: [] }, { prefix: "  ", indent: "  " }),
 *   '{\n    "a": 1,\n    "b": []\n  }',
 * );
 * ```
 */
export function goJsonStringify(
  value: unknown,
  options: GoJsonOptions = {},
): string {
  const pretty = options.indent !== undefined || options.prefix !== undefined;
  const prefix = options.prefix ?? "";
  const indent = options.indent ?? "";
  const nl = (depth: number) =>
    pretty ? "\n" + prefix + indent.repeat(depth) : "";
  const seen = new Set<object>();
  const enc = (v: unknown, depth: number): string => {
    if (v === null || v === undefined) return "null";
    if (v instanceof JsonNumber) return v.literal;
    switch (typeof v) {
      case "string":
        return jsonString(v);
      case "boolean":
        return v ? "true" : "false";
      case "bigint":
        return v.toString();
      case "number":
        if (!Number.isFinite(v)) {
          throw new TypeError(`Cannot encode ${v} as JSON`);
        }
        return goFloat(v);
      case "object":
        break;
      default:
        throw new TypeError(`Cannot encode a ${typeof v} as JSON`);
    }
    const o = v as Record<string, unknown> & { toJSON?: () => unknown };
    if (typeof o.toJSON === "function" && !(o instanceof Array)) {
      return enc(o.toJSON(), depth);
    }
    if (o instanceof Uint8Array) {
      throw new TypeError("Cannot encode bytes as JSON");
    }
    if (seen.has(o)) throw new TypeError("Cannot encode a cyclic value");
    seen.add(o);
    try {
      if (Array.isArray(o)) {
        if (o.length === 0) return "[]";
        const parts = o.map((x) => nl(depth + 1) + enc(x, depth + 1));
        return "[" + parts.join(",") + nl(depth) + "]";
      }
      const parts: string[] = [];
      for (const k of Object.keys(o)) {
        if (o[k] === undefined) continue;
        parts.push(
          nl(depth + 1) + jsonString(k) + (pretty ? ": " : ":") +
            enc(o[k], depth + 1),
        );
      }
      if (parts.length === 0) return "{}";
      return "{" + parts.join(",") + nl(depth) + "}";
    } finally {
      seen.delete(o);
    }
  };
  return enc(value, 0);
}

/** Go's float64 encoding: shortest repr, exponent form outside [1e-6, 1e21). */
function goFloat(v: number): string {
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    // Go writes e-07 / e+21 with at least two exponent digits.
    return v.toExponential().replace(/e([+-])(\d)$/, "e$10$2");
  }
  return String(v);
}
