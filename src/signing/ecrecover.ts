/**
 * `account_ecRecover` (spec external-api.md §4.8): the signer address of an
 * EIP-191 personal-message signature with `v` 27/28.
 *
 * @module
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { StaveError } from "../errors.ts";
import { hashPersonalMessage } from "./eip191.ts";
import { recoverPublicKey, SIGNATURE_LENGTH } from "./signature.ts";

/**
 * Returns the 20-byte address derived from an uncompressed public key.
 *
 * @param publicKey 65 bytes `0x04 ‖ X ‖ Y` (or 64 bytes `X ‖ Y`).
 * @returns keccak256(X ‖ Y)[12:32].
 *
 * @example Usage
 * ```ts
 * import { publicKeyToAddress } from "./ecrecover.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(publicKeyToAddress(new Uint8Array(65)).length, 20);
 * ```
 */
export function publicKeyToAddress(publicKey: Uint8Array): Uint8Array {
  const xy = publicKey.length === 65 ? publicKey.subarray(1) : publicKey;
  return keccak_256(xy).slice(12);
}

/**
 * Recovers the address that signed `data` as a personal message (clef's
 * `EcRecover`). Only the `text/plain` scheme is supported, as in clef.
 *
 * @param data The message bytes (without the EIP-191 prefix).
 * @param sig 65-byte signature `r ‖ s ‖ v` with `v` 27 or 28.
 * @returns The 20 address bytes.
 * @throws {StaveError} `signature must be 65 bytes long`,
 * `invalid Ethereum signature (V is not 27 or 28)`, or `recovery failed`.
 *
 * @example Usage
 * ```ts
 * import { ecRecover } from "./ecrecover.ts";
 * import { signHash, toEthereumV } from "./signature.ts";
 * import { hashPersonalMessage } from "./eip191.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 * const key = new Uint8Array(32).fill(1);
 * const msg = new TextEncoder().encode("hi");
 * const a = ecRecover(msg, toEthereumV(signHash(hashPersonalMessage(msg), key)));
 * deepStrictEqual(a.length, 20);
 * ```
 */
export function ecRecover(data: Uint8Array, sig: Uint8Array): Uint8Array {
  if (sig.length !== SIGNATURE_LENGTH) {
    throw new StaveError("signature must be 65 bytes long");
  }
  if (sig[64] !== 27 && sig[64] !== 28) {
    throw new StaveError("invalid Ethereum signature (V is not 27 or 28)");
  }
  const rs = sig.slice();
  rs[64] -= 27;
  let pub: Uint8Array;
  try {
    pub = recoverPublicKey(hashPersonalMessage(data), rs);
  } catch (e) {
    throw new StaveError((e as Error).message);
  }
  return publicKeyToAddress(pub);
}
