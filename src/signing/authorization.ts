/**
 * EIP-7702 authorizations inside stave's type-4 transactions (spec
 * signing.md §6.7). stave only carries them: each authorization is signed
 * by its own authority and is not verified here.
 *
 * @module
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import type { SetCodeAuthorization } from "./send_tx_args.ts";
import { encodeRlp, quantityBytes, type RlpItem } from "./_rlp.ts";

/** EIP-7702 magic byte prefixed to the authority's signing payload. */
export const SET_CODE_AUTH_MAGIC = 0x05;

/**
 * The RLP item of one authorization: `[chainId, address, nonce, yParity,
 * r, s]`.
 *
 * @param auth The authorization.
 * @returns The list item for the transaction's `authorizationList`.
 *
 * @example Usage
 * ```ts
 * import { authorizationRlpItem } from "./authorization.ts";
 * import { strictEqual } from "node:assert/strict";
 * const item = authorizationRlpItem({
 *   chainId: 1n, address: new Uint8Array(20), nonce: 0n, yParity: 1, r: 2n, s: 3n,
 * });
 * strictEqual(item.length, 6);
 * ```
 */
export function authorizationRlpItem(auth: SetCodeAuthorization): RlpItem[] {
  return [
    quantityBytes(auth.chainId),
    auth.address,
    quantityBytes(auth.nonce),
    quantityBytes(BigInt(auth.yParity)),
    quantityBytes(auth.r),
    quantityBytes(auth.s),
  ];
}

/**
 * The digest an authority signs: `keccak(0x05 ‖ rlp([chainId, address,
 * nonce]))` (EIP-7702). Useful for UIs that want to show the authority.
 *
 * @param auth The authorization (signature fields are ignored).
 * @returns The 32-byte digest.
 *
 * @example Usage
 * ```ts
 * import { authorizationSigningHash } from "./authorization.ts";
 * import { strictEqual } from "node:assert/strict";
 * const h = authorizationSigningHash({
 *   chainId: 1n, address: new Uint8Array(20), nonce: 0n, yParity: 0, r: 0n, s: 0n,
 * });
 * strictEqual(h.length, 32);
 * ```
 */
export function authorizationSigningHash(
  auth: SetCodeAuthorization,
): Uint8Array {
  const body = encodeRlp([
    quantityBytes(auth.chainId),
    auth.address,
    quantityBytes(auth.nonce),
  ]);
  const msg = new Uint8Array(body.length + 1);
  msg[0] = SET_CODE_AUTH_MAGIC;
  msg.set(body, 1);
  return keccak_256(msg);
}
