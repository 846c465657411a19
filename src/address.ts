/**
 * Ethereum addresses: EIP-55 checksums and clef's `MixedcaseAddress`.
 *
 * @module
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { fromHex, toHex, utf8 } from "./_bytes.ts";

/**
 * Returns the EIP-55 checksummed form (`0x` + mixed case) of a 20-byte
 * address.
 *
 * @param address 20 address bytes, or hex with or without `0x`.
 * @returns The checksummed address string.
 * @throws {RangeError} when the address is not 20 bytes.
 *
 * @example Usage
 * ```ts
 * import { toChecksumAddress } from "./address.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(
 *   toChecksumAddress("0x9160dc9105f7de5dc5e7f3d97ef11da47269bda6"),
 *   "0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6",
 * );
 * ```
 */
export function toChecksumAddress(address: Uint8Array | string): string {
  const bytes = typeof address === "string" ? fromHex(address) : address;
  if (bytes.length !== 20) {
    throw new RangeError(`address must be 20 bytes, got ${bytes.length}`);
  }
  const lower = toHex(bytes);
  const hash = keccak_256(utf8(lower));
  let out = "0x";
  for (let i = 0; i < 40; i++) {
    const nib = (hash[i >> 1] >> (i % 2 === 0 ? 4 : 0)) & 15;
    out += nib >= 8 ? lower[i].toUpperCase() : lower[i];
  }
  return out;
}

/**
 * Reports whether a string is a hex address as go-ethereum's
 * `common.IsHexAddress` accepts it: optional `0x`/`0X`, 40 hex digits.
 *
 * @param s Candidate string.
 * @returns true when `s` is 40 hex digits with an optional prefix.
 *
 * @example Usage
 * ```ts
 * import { isHexAddress } from "./address.ts";
 * import { ok } from "node:assert/strict";
 * ok(isHexAddress("0X9160dc9105f7de5dc5e7f3d97ef11da47269bda6"));
 * ok(!isHexAddress("0x1234"));
 * ```
 */
export function isHexAddress(s: string): boolean {
  return /^(0[xX])?[0-9a-fA-F]{40}$/.test(s);
}

/**
 * An address as the caller wrote it (clef's `common.MixedcaseAddress`):
 * the bytes plus the original spelling, used for checksum warnings.
 */
export class MixedcaseAddress {
  /** The 20 address bytes. */
  readonly bytes: Uint8Array;
  /** The original string exactly as received. */
  readonly original: string;

  /**
   * Wraps decoded bytes with their original spelling.
   *
   * @param bytes The 20 address bytes.
   * @param original The string the caller sent.
   */
  constructor(bytes: Uint8Array, original: string) {
    this.bytes = bytes;
    this.original = original;
  }

  /** `0x` + lowercase hex. */
  get lower(): string {
    return "0x" + toHex(this.bytes);
  }

  /** EIP-55 form. */
  get checksummed(): string {
    return toChecksumAddress(this.bytes);
  }

  /** True only when the original equals the EIP-55 form exactly. */
  get validChecksum(): boolean {
    return this.original === this.checksummed;
  }

  /** clef's display form: `<original> [chksum ok]` / `[chksum INVALID]`. */
  toString(): string {
    return `${this.original} ${
      this.validChecksum ? "[chksum ok]" : "[chksum INVALID]"
    }`;
  }

  /** JSON form: the original string with its prefix normalised to `0x`. */
  toJSON(): string {
    const o = this.original;
    return "0x" + (o.startsWith("0x") || o.startsWith("0X") ? o.slice(2) : o);
  }
}
