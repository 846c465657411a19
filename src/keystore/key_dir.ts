/**
 * Key-folder rules that need no file access: file names of new keys, which
 * folder entries a scan skips, and the lenient `address` read of a scan
 * (go-ethereum `accounts/keystore/{key.go,account_cache.go}`, spec
 * keystore.md §1.1, §3). The I/O lives in `src/cli/fs_key_dir.ts`.
 *
 * @module
 */
import { toHex } from "../_bytes.ts";
import { goFoldEqual } from "./_go.ts";

const pad = (n: number, w: number) => String(n).padStart(w, "0");

/**
 * Names a new key file `UTC--<YYYY-MM-DDTHH-MM-SS.NNNNNNNNN>Z--<address>`
 * (geth `keyFileName`). JavaScript clocks have milliseconds, so the last six
 * of the nine fractional digits are zero.
 *
 * @param address 20-byte account address.
 * @param now Creation time (rendered in UTC).
 * @returns The file name (no folder).
 *
 * @example Usage
 * ```ts
 * import { keyFileName } from "./key_dir.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(
 *   keyFileName(new Uint8Array(20).fill(0xab), new Date("2016-03-22T12:57:55.920Z")),
 *   "UTC--2016-03-22T12-57-55.920000000Z--" + "ab".repeat(20),
 * );
 * ```
 */
export function keyFileName(address: Uint8Array, now: Date): string {
  const ts = `${pad(now.getUTCFullYear(), 4)}-${
    pad(now.getUTCMonth() + 1, 2)
  }-${pad(now.getUTCDate(), 2)}T${pad(now.getUTCHours(), 2)}-${
    pad(now.getUTCMinutes(), 2)
  }-${pad(now.getUTCSeconds(), 2)}.${pad(now.getUTCMilliseconds(), 3)}000000Z`;
  return `UTC--${ts}--${toHex(address)}`;
}

/**
 * Tells whether a scan skips a folder entry (geth `nonKeyFile`): editor
 * backups (`~` suffix), hidden files including stave's temp files (`.`
 * prefix), and anything that is not a regular file.
 *
 * @param name Entry name.
 * @param isRegularFile Whether the entry is a regular file (not a folder,
 *   symlink, socket, ...), as reported without following links.
 * @returns `true` to skip.
 *
 * @example Usage
 * ```ts
 * import { shouldSkipEntry } from "./key_dir.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(shouldSkipEntry("swapfile~"), true);
 * strictEqual(shouldSkipEntry(".hiddenfile"), true);
 * strictEqual(shouldSkipEntry("aaa"), false);
 * strictEqual(shouldSkipEntry("foo", false), true);
 * ```
 */
export function shouldSkipEntry(name: string, isRegularFile = true): boolean {
  return name.endsWith("~") || name.startsWith(".") || !isRegularFile;
}

/**
 * Go `common.HexToAddress`: optional `0x`, odd length gets a leading `0`,
 * decoding stops at the first invalid hex pair, the last 20 bytes are kept
 * and shorter input is left-padded.
 *
 * @param s Address text.
 * @returns 20 bytes.
 *
 * @example Usage
 * ```ts
 * import { hexToAddressLenient } from "./key_dir.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(hexToAddressLenient("0x1")[19], 1);
 * ```
 */
export function hexToAddressLenient(s: string): Uint8Array {
  let h = s.startsWith("0x") || s.startsWith("0X") ? s.slice(2) : s;
  if (h.length % 2 === 1) h = "0" + h;
  const bytes: number[] = [];
  for (let i = 0; i + 1 < h.length; i += 2) {
    const v = Number.parseInt(h.slice(i, i + 2), 16);
    if (!/^[0-9a-fA-F]{2}$/.test(h.slice(i, i + 2))) break;
    bytes.push(v);
  }
  const out = new Uint8Array(20);
  const src = bytes.slice(-20);
  out.set(src, 20 - src.length);
  return out;
}

/** Index just past the first JSON object in `text`, or -1. */
function firstObjectEnd(text: string): number {
  let i = 0;
  while (i < text.length && " \t\r\n".includes(text[i])) i++;
  if (text[i] !== "{") return -1;
  let depth = 0;
  let inString = false;
  for (; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * Reads the account address of a key file the way a geth scan does: only
 * the first JSON value is decoded (trailing bytes are ignored), the
 * `address` field is matched case-insensitively, and the text is parsed
 * with {@linkcode hexToAddressLenient}.
 *
 * @param text Key file content.
 * @returns The address, or `undefined` when the file is not decodable JSON,
 *   has no string `address`, or the address is all zeros.
 *
 * @example Usage
 * ```ts
 * import { parseKeyFileAddress } from "./key_dir.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(parseKeyFileAddress('{"address":"' + "00".repeat(20) + '"}'), undefined);
 * strictEqual(parseKeyFileAddress('{"Address":"0x' + "11".repeat(20) + '"}')?.[0], 0x11);
 * strictEqual(parseKeyFileAddress("garbage"), undefined);
 * ```
 */
export function parseKeyFileAddress(text: string): Uint8Array | undefined {
  const end = firstObjectEnd(text);
  if (end < 0) return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(text.slice(0, end));
  } catch {
    return undefined;
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    return undefined;
  }
  let address: unknown = "";
  for (const [k, v] of Object.entries(obj)) {
    if (goFoldEqual(k, "address")) address = v;
  }
  if (address === null) address = "";
  if (typeof address !== "string") return undefined; // Go: type error
  const a = hexToAddressLenient(address);
  return a.some((b) => b !== 0) ? a : undefined;
}
