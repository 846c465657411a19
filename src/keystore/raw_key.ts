/**
 * secp256k1 secret keys: validation and address derivation (go-ethereum
 * `crypto.ToECDSA`, `crypto.PubkeyToAddress`) and the hex key file read by
 * `importraw` (`crypto.LoadECDSA`, spec keystore.md §5).
 *
 * The curve is `@noble/curves` secp256k1, the implementation micro-eth-signer
 * signs with; stave keeps that one path.
 *
 * @module
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { StaveError } from "../errors.ts";
import { goQuoteByte } from "./_go.ts";

/** The secp256k1 group order N. */
export const SECP256K1_N =
  0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * Checks that `key` is a usable secp256k1 secret, as geth's strict
 * `crypto.ToECDSA` does.
 *
 * @param key Candidate secret.
 * @throws {StaveError} `invalid length, need 256 bits`,
 *   `invalid private key, >=N` or `invalid private key, zero or negative`.
 *
 * @example Usage
 * ```ts
 * import { validatePrivateKey } from "./raw_key.ts";
 * import { throws } from "node:assert/strict";
 * throws(() => validatePrivateKey(new Uint8Array(32)), {
 *   message: "invalid private key, zero or negative",
 * });
 * ```
 */
export function validatePrivateKey(key: Uint8Array): void {
  if (key.length !== 32) {
    throw new StaveError("invalid length, need 256 bits");
  }
  let d = 0n;
  for (const b of key) d = (d << 8n) | BigInt(b);
  if (d >= SECP256K1_N) throw new StaveError("invalid private key, >=N");
  if (d === 0n) throw new StaveError("invalid private key, zero or negative");
}

/**
 * Derives the Ethereum address of a secret key: the last 20 bytes of
 * keccak256 of the uncompressed public key without its `04` prefix.
 *
 * @param key 32-byte secret.
 * @returns 20-byte address.
 * @throws {StaveError} as {@linkcode validatePrivateKey}.
 *
 * @example Usage
 * ```ts
 * import { privateKeyToAddress } from "./raw_key.ts";
 * import { strictEqual } from "node:assert/strict";
 * const key = new Uint8Array(32);
 * key[31] = 1;
 * const hex = Array.from(privateKeyToAddress(key), (b) => b.toString(16).padStart(2, "0")).join("");
 * strictEqual(hex, "7e5f4552091a69125d5dfcb7b8c2659029395bdf");
 * ```
 */
export function privateKeyToAddress(key: Uint8Array): Uint8Array {
  validatePrivateKey(key);
  // Not secp256k1.getPublicKey(): its bytes → scalar step makes a hex
  // string of the key, which cannot be wiped (issue 7).
  const v = new DataView(key.buffer, key.byteOffset, 32);
  const d = (v.getBigUint64(0) << 192n) | (v.getBigUint64(8) << 128n) |
    (v.getBigUint64(16) << 64n) | v.getBigUint64(24);
  const pub = secp256k1.Point.BASE.multiply(d).toBytes(false);
  return keccak_256(pub.subarray(1)).slice(12);
}

/** Generates a random secret key (rejection-sampled below N). */
export function generatePrivateKey(
  randomBytes: (n: number) => Uint8Array = (n) =>
    crypto.getRandomValues(new Uint8Array(n)),
): Uint8Array {
  for (;;) {
    const k = randomBytes(32);
    try {
      validatePrivateKey(k);
      return k;
    } catch {
      k.fill(0);
    }
  }
}

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses a raw key file as geth's `crypto.LoadECDSA`: exactly 64 hex
 * characters (reading stops at the first byte below `!`), then at most two
 * `\n`/`\r` bytes.
 *
 * @param bytes File content.
 * @returns The 32-byte secret; the caller wipes it.
 * @throws {StaveError} geth's texts: `key file too short, want 64 hex
 *   characters`, `key file too long, want 64 hex characters`,
 *   `invalid character '<c>' at end of key file`,
 *   `invalid hex character '<c>' in private key`,
 *   `invalid private key, >=N`, `invalid private key, zero or negative`.
 *
 * @example Usage
 * ```ts
 * import { parseRawKeyFile, privateKeyToAddress } from "./raw_key.ts";
 * import { strictEqual } from "node:assert/strict";
 * const text = "0102030405060708090a0102030405060708090a0102030405060708090a0102\n";
 * const key = parseRawKeyFile(new TextEncoder().encode(text));
 * strictEqual(privateKeyToAddress(key)[0], 0x91);
 * ```
 */
export function parseRawKeyFile(bytes: Uint8Array): Uint8Array {
  let n = 0;
  while (n < 64 && n < bytes.length && bytes[n] >= 0x21) n++;
  if (n !== 64) {
    throw new StaveError("key file too short, want 64 hex characters");
  }
  for (let i = 0; 64 + i < bytes.length; i++) {
    const b = bytes[64 + i];
    if (b !== 0x0a && b !== 0x0d) {
      throw new StaveError(
        `invalid character ${goQuoteByte(b)} at end of key file`,
      );
    }
    if (i >= 2) {
      throw new StaveError("key file too long, want 64 hex characters");
    }
  }
  const key = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    const a = bytes[2 * i];
    const b = bytes[2 * i + 1];
    const hi = hexNibble(a);
    const lo = hexNibble(b);
    if (hi < 0 || lo < 0) {
      key.fill(0);
      throw new StaveError(
        `invalid hex character ${goQuoteByte(hi < 0 ? a : b)} in private key`,
      );
    }
    key[i] = (hi << 4) | lo;
  }
  try {
    validatePrivateKey(key);
  } catch (err) {
    key.fill(0);
    throw err;
  }
  return key;
}
