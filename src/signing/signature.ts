/**
 * The one secp256k1 signing path of stave: 65-byte `r ‖ s ‖ v` signatures
 * as go-ethereum's `crypto.Sign` produces them (spec signing.md §0):
 * deterministic nonce (RFC 6979, no extra entropy), low-S, `v` = recovery
 * id 0/1.
 *
 * @module
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sign as ethSign } from "micro-eth-signer/utils.js";

/** Length of an Ethereum signature `r ‖ s ‖ v`. */
export const SIGNATURE_LENGTH = 65;

/**
 * Signs a 32-byte digest (go-ethereum `crypto.Sign`).
 *
 * @param hash The 32-byte digest to sign (never hashed again here).
 * @param privateKey The 32-byte secret key (left untouched; the caller wipes it).
 * @returns 65 bytes `r(32) ‖ s(32) ‖ v(1)` with `v` ∈ {0, 1}.
 * @throws {RangeError} when the digest is not 32 bytes or the key is invalid.
 *
 * @example Usage
 * ```ts
 * import { signHash } from "./signature.ts";
 * import { strictEqual, ok } from "node:assert/strict";
 * const sig = signHash(new Uint8Array(32).fill(1), new Uint8Array(32).fill(2));
 * strictEqual(sig.length, 65);
 * ok(sig[64] === 0 || sig[64] === 1);
 * ```
 */
export function signHash(hash: Uint8Array, privateKey: Uint8Array): Uint8Array {
  if (hash.length !== 32) {
    throw new RangeError(
      `hash is required to be exactly 32 bytes (${hash.length})`,
    );
  }
  if (privateKey.length !== 32) {
    throw new RangeError("invalid private key length");
  }
  let sig;
  try {
    sig = ethSign(hash, privateKey, false);
  } catch {
    // noble's message could echo key material; keep it out of the error.
    throw new RangeError("invalid private key");
  }
  const out = new Uint8Array(SIGNATURE_LENGTH);
  out.set(sig.toBytes("compact"), 0);
  out[64] = sig.recovery!;
  return out;
}

/**
 * Returns a copy of a 65-byte signature with `v` moved from 0/1 to 27/28
 * (clef's "legacy V" for every data signature except Clique).
 *
 * @param sig A 65-byte signature with `v` ∈ {0, 1}.
 * @returns The same signature with 27 added to `v`.
 * @throws {RangeError} when the signature is not 65 bytes.
 *
 * @example Usage
 * ```ts
 * import { toEthereumV } from "./signature.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(toEthereumV(new Uint8Array(65))[64], 27);
 * ```
 */
export function toEthereumV(sig: Uint8Array): Uint8Array {
  if (sig.length !== SIGNATURE_LENGTH) {
    throw new RangeError("signature must be 65 bytes long");
  }
  const out = sig.slice();
  out[64] += 27;
  return out;
}

/**
 * Recovers the uncompressed public key (65 bytes, `0x04 ‖ X ‖ Y`) from a
 * digest and a 65-byte signature with `v` ∈ {0, 1} (go-ethereum
 * `crypto.Ecrecover`).
 *
 * @param hash The 32-byte digest that was signed.
 * @param sig 65 bytes `r ‖ s ‖ v`.
 * @returns The uncompressed public key.
 * @throws {RangeError} `invalid signature recovery id` or `recovery failed`.
 *
 * @example Usage
 * ```ts
 * import { recoverPublicKey, signHash } from "./signature.ts";
 * import { strictEqual } from "node:assert/strict";
 * const h = new Uint8Array(32).fill(7);
 * strictEqual(recoverPublicKey(h, signHash(h, new Uint8Array(32).fill(2))).length, 65);
 * ```
 */
export function recoverPublicKey(
  hash: Uint8Array,
  sig: Uint8Array,
): Uint8Array {
  if (sig.length !== SIGNATURE_LENGTH) {
    throw new RangeError("invalid signature length");
  }
  if (hash.length !== 32) {
    throw new RangeError("invalid message length, need 32 bytes");
  }
  if (sig[64] >= 4) throw new RangeError("invalid signature recovery id");
  try {
    const s = secp256k1.Signature.fromBytes(sig.subarray(0, 64), "compact")
      .addRecoveryBit(sig[64]);
    return s.recoverPublicKey(hash).toBytes(false);
  } catch {
    throw new RangeError("recovery failed");
  }
}
