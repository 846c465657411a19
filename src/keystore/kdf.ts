/**
 * Key derivation for key files and the master seed: scrypt (geth's default)
 * and PBKDF2-HMAC-SHA256 (accepted when reading, as geth does).
 *
 * scrypt runs on hash-wasm, which measured faster than `@noble/hashes`
 * `scryptAsync` for the standard parameters (see `bench/kdf.ts`). hash-wasm
 * is synchronous WebAssembly behind a `Promise` API: one standard derivation
 * (N=2^18, r=8, p=1, 256 MiB) holds the calling thread for about a second.
 * The daemon therefore runs derivations in a Worker (`src/api/`); the CLI
 * commands simply wait. The WebAssembly memory that held the scrypt state is
 * released to the garbage collector, not wiped: hash-wasm gives no handle to
 * clear it.
 *
 * Parameters are checked like Go's `golang.org/x/crypto/scrypt.Key`, plus
 * named caps so a hostile key file (e.g. via `clef_import`) cannot make the
 * process allocate gigabytes or spin for minutes.
 *
 * @module
 */
import { scrypt as wasmScrypt } from "hash-wasm";

/** geth `keystore.StandardScryptN` (2^18). */
export const STANDARD_SCRYPT_N = 262144;
/** geth `keystore.StandardScryptP`. */
export const STANDARD_SCRYPT_P = 1;
/** geth `keystore.LightScryptN` (2^12), used with `--lightkdf`. */
export const LIGHT_SCRYPT_N = 4096;
/** geth `keystore.LightScryptP`, used with `--lightkdf`. */
export const LIGHT_SCRYPT_P = 6;
/** geth `scryptR`. */
export const SCRYPT_R = 8;
/** geth `scryptDKLen`. */
export const SCRYPT_DKLEN = 32;

/**
 * Largest scrypt memory accepted, in bytes (`128 * N * r`): 1 GiB, four
 * times geth's standard parameters. Go has no such cap.
 */
export const MAX_SCRYPT_MEMORY = 1 << 30;
/**
 * Largest scrypt work accepted (`N * r * p`): 2^24, eight times geth's
 * standard parameters (2^21). Go has no such cap.
 */
export const MAX_SCRYPT_WORK = 1 << 24;
/** Largest PBKDF2 iteration count accepted (geth's vector uses 2^18). */
export const MAX_PBKDF2_ITERATIONS = 1 << 24;
/** Largest derived-key length accepted from a key file. */
export const MAX_DKLEN = 1024;

/** scrypt cost parameters. */
export interface ScryptParams {
  /** CPU/memory cost, a power of two greater than 1. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
  /** Derived key length in bytes. */
  dkLen: number;
}

/**
 * Checks scrypt parameters as Go's `scrypt.Key` does, plus the named caps.
 *
 * @param params Parameters to check.
 * @throws {RangeError} `scrypt: N must be > 1 and a power of 2` or
 *   `scrypt: parameters are too large` (Go's texts), or a cap message.
 *
 * @example Usage
 * ```ts
 * import { validateScryptParams } from "./kdf.ts";
 * import { throws } from "node:assert/strict";
 * throws(() => validateScryptParams({ N: 3, r: 8, p: 1, dkLen: 32 }), RangeError);
 * ```
 */
export function validateScryptParams(params: ScryptParams): void {
  const { N, r, p, dkLen } = params;
  // Math.log2, not N & (N - 1): JS bit operators truncate to 32 bits.
  if (!Number.isSafeInteger(N) || N <= 1 || !Number.isInteger(Math.log2(N))) {
    throw new RangeError("scrypt: N must be > 1 and a power of 2");
  }
  // Go (64-bit int) also rejects r*p >= 2^30; r or p < 1 makes Go panic.
  if (
    !Number.isSafeInteger(r) || !Number.isSafeInteger(p) || r < 1 || p < 1 ||
    r * p >= 2 ** 30
  ) {
    throw new RangeError("scrypt: parameters are too large");
  }
  if (!Number.isSafeInteger(dkLen) || dkLen < 1 || dkLen > MAX_DKLEN) {
    throw new RangeError(`scrypt: dkLen must be between 1 and ${MAX_DKLEN}`);
  }
  if (128 * N * r > MAX_SCRYPT_MEMORY) {
    throw new RangeError(
      `scrypt: parameters need more than ${MAX_SCRYPT_MEMORY} bytes of memory`,
    );
  }
  if (N * r * p > MAX_SCRYPT_WORK) {
    throw new RangeError(
      `scrypt: parameters exceed the work limit (N*r*p <= ${MAX_SCRYPT_WORK})`,
    );
  }
}

/**
 * Derives a key with scrypt (RFC 7914).
 *
 * Synchronous WebAssembly under an async API: the calling thread is busy for
 * the whole derivation (about a second for standard parameters).
 *
 * @param password Password bytes (geth uses the UTF-8 bytes, unmodified).
 * @param salt Salt bytes.
 * @param params Cost parameters and output length.
 * @returns The derived key.
 * @throws {RangeError} on invalid or oversized parameters.
 *
 * @example Usage (RFC 7914 §12 vector 2)
 * ```ts
 * import { scrypt } from "./kdf.ts";
 * import { strictEqual } from "node:assert/strict";
 * const e = new TextEncoder();
 * const dk = await scrypt(e.encode("password"), e.encode("NaCl"), {
 *   N: 1024, r: 8, p: 16, dkLen: 4,
 * });
 * strictEqual(Array.from(dk).join(","), "253,186,190,28");
 * ```
 */
export async function scrypt(
  password: Uint8Array,
  salt: Uint8Array,
  params: ScryptParams,
): Promise<Uint8Array> {
  validateScryptParams(params);
  return await wasmScrypt({
    password,
    salt,
    costFactor: params.N,
    blockSize: params.r,
    parallelism: params.p,
    hashLength: params.dkLen,
    outputType: "binary",
  });
}

/**
 * Derives a key with PBKDF2-HMAC-SHA256 through WebCrypto.
 *
 * @param password Password bytes.
 * @param salt Salt bytes.
 * @param iterations Iteration count (`kdfparams.c`), 1..{@linkcode MAX_PBKDF2_ITERATIONS}.
 * @param dkLen Derived key length in bytes, 1..{@linkcode MAX_DKLEN}.
 * @returns The derived key.
 * @throws {RangeError} on an out-of-range count or length.
 *
 * @example Usage (RFC 7914 §11 vector 1)
 * ```ts
 * import { pbkdf2Sha256 } from "./kdf.ts";
 * import { strictEqual } from "node:assert/strict";
 * const e = new TextEncoder();
 * const dk = await pbkdf2Sha256(e.encode("passwd"), e.encode("salt"), 1, 4);
 * strictEqual(Array.from(dk).join(","), "85,172,4,110");
 * ```
 */
export async function pbkdf2Sha256(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  dkLen: number,
): Promise<Uint8Array> {
  if (
    !Number.isSafeInteger(iterations) || iterations < 1 ||
    iterations > MAX_PBKDF2_ITERATIONS
  ) {
    throw new RangeError(
      `pbkdf2: iteration count must be between 1 and ${MAX_PBKDF2_ITERATIONS}`,
    );
  }
  if (!Number.isSafeInteger(dkLen) || dkLen < 1 || dkLen > MAX_DKLEN) {
    throw new RangeError(`pbkdf2: dkLen must be between 1 and ${MAX_DKLEN}`);
  }
  const raw = new Uint8Array(password);
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("raw", raw, "PBKDF2", false, [
      "deriveBits",
    ]);
  } finally {
    raw.fill(0);
  }
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: new Uint8Array(salt), iterations },
    key,
    dkLen * 8,
  );
  return new Uint8Array(bits);
}
