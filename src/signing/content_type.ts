/**
 * Content types of `account_signData` and Go `mime.ParseMediaType` (spec
 * external-api.md §4.5, signing.md §0): the media type is lowercased and
 * trimmed, parameters are checked for syntax and then ignored.
 *
 * @module
 */
import { goTrimSpace } from "../ui/go_format.ts";

/** The wire names of the content types clef treats specially. */
export const CONTENT_TYPES = {
  /** EIP-191 version 0x00, data with an intended validator. */
  dataValidator: "data/validator",
  /** EIP-712 typed data (hex of the JSON). */
  dataTyped: "data/typed",
  /** A Clique header to seal (RLP, hex). */
  clique: "application/x-clique-header",
  /** EIP-191 version 0x45 personal message (also the default). */
  textPlain: "text/plain",
} as const;

const TSPECIALS = '()<>@,;:\\"/[]?=';

function isTokenChar(c: string): boolean {
  const n = c.codePointAt(0)!;
  return n > 0x20 && n < 0x7f && !TSPECIALS.includes(c);
}

/** Go `unicode.IsSpace`. */
function isSpace(c: string): boolean {
  return /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/
    .test(c);
}

function trimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length && isSpace(s[i])) i++;
  return s.slice(i);
}

/** Go `strings.ToLower` (simple per-rune mapping). */
function goToLower(s: string): string {
  let out = "";
  for (const c of s) {
    const l = c.toLowerCase();
    // Only U+0130 has a multi-rune full mapping; Go maps it to "i".
    out += [...l].length === 1 ? l : [...l][0];
  }
  return out;
}

function consumeToken(v: string): [string, string] {
  let i = 0;
  for (const c of v) {
    if (!isTokenChar(c)) break;
    i += c.length;
  }
  return [v.slice(0, i), v.slice(i)];
}

function consumeValue(v: string): [string, string] {
  if (v === "") return ["", ""];
  if (v[0] !== '"') return consumeToken(v);
  let buf = "";
  for (let i = 1; i < v.length; i++) {
    const r = v[i];
    if (r === '"') return [buf, v.slice(i + 1)];
    if (r === "\\" && i + 1 < v.length && TSPECIALS.includes(v[i + 1])) {
      buf += v[i + 1];
      i++;
      continue;
    }
    if (r === "\r" || r === "\n") return ["", v];
    buf += r;
  }
  return ["", v];
}

function consumeMediaParam(v: string): [string, string, string] {
  let rest = trimLeftSpace(v);
  if (!rest.startsWith(";")) return ["", "", v];
  rest = trimLeftSpace(rest.slice(1));
  let param: string;
  [param, rest] = consumeToken(rest);
  param = goToLower(param);
  if (param === "") return ["", "", v];
  rest = trimLeftSpace(rest);
  if (!rest.startsWith("=")) return ["", "", v];
  rest = trimLeftSpace(rest.slice(1));
  const [value, rest2] = consumeValue(rest);
  if (value === "" && rest2 === rest) return ["", "", v];
  return [param, value, rest2];
}

function checkMediaType(s: string): void {
  const [typ, rest] = consumeToken(s);
  if (typ === "") throw new SyntaxError("mime: no media type");
  if (rest === "") return;
  if (!rest.startsWith("/")) {
    throw new SyntaxError("mime: expected slash after first token");
  }
  const [sub, rest2] = consumeToken(rest.slice(1));
  if (sub === "") throw new SyntaxError("mime: expected token after slash");
  if (rest2 !== "") {
    throw new SyntaxError("mime: unexpected content after media subtype");
  }
}

/**
 * Parses a content type as Go's `mime.ParseMediaType` and returns the media
 * type (lowercased, without parameters).
 *
 * @param contentType The content type string from the request.
 * @returns The media type, e.g. `text/plain`.
 * @throws {SyntaxError} with Go's texts: `mime: no media type`,
 * `mime: expected slash after first token`, `mime: expected token after slash`,
 * `mime: unexpected content after media subtype`,
 * `mime: invalid media parameter`, `mime: duplicate parameter name`.
 *
 * @example Usage
 * ```ts
 * import { parseMediaType } from "./content_type.ts";
 * import { strictEqual, throws } from "node:assert/strict";
 * strictEqual(parseMediaType(" Text/Plain; charset=UTF-8"), "text/plain");
 * throws(() => parseMediaType(""), /mime: no media type/);
 * ```
 */
export function parseMediaType(contentType: string): string {
  const semi = contentType.indexOf(";");
  const base = semi < 0 ? contentType : contentType.slice(0, semi);
  const mediaType = goTrimSpace(goToLower(base));
  checkMediaType(mediaType);
  const params = new Map<string, string>();
  const continuation = new Map<string, Map<string, string>>();
  let v = contentType.slice(base.length);
  while (v.length > 0) {
    v = trimLeftSpace(v);
    if (v.length === 0) break;
    const [key, value, rest] = consumeMediaParam(v);
    if (key === "") {
      if (goTrimSpace(rest) === ";") break; // trailing semicolon
      throw new SyntaxError("mime: invalid media parameter");
    }
    let pmap = params;
    const star = key.indexOf("*");
    if (star >= 0) {
      const baseName = key.slice(0, star);
      let m = continuation.get(baseName);
      if (!m) continuation.set(baseName, m = new Map());
      pmap = m;
    }
    const prev = pmap.get(key);
    if (prev !== undefined && prev !== value) {
      throw new SyntaxError("mime: duplicate parameter name");
    }
    pmap.set(key, value);
    v = rest;
  }
  return mediaType;
}
