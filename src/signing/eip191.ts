/**
 * EIP-191 version 0x45 personal messages (`text/plain`, spec signing.md §1)
 * and version 0x00 data with an intended validator (§4).
 *
 * @module
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { concat, utf8 } from "../_bytes.ts";

/**
 * Builds `"\x19Ethereum Signed Message:\n" ‖ len(message) ‖ message`
 * (go-ethereum `accounts.TextAndHash`'s preimage).
 *
 * @param message Raw message bytes.
 * @returns The prefixed message bytes.
 *
 * @example Usage
 * ```ts
 * import { personalMessage } from "./eip191.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(personalMessage(new Uint8Array(2)).length, 26 + 1 + 2);
 * ```
 */
export function personalMessage(message: Uint8Array): Uint8Array {
  return concat(
    utf8(`\x19Ethereum Signed Message:\n${message.length}`),
    message,
  );
}

/**
 * Computes the EIP-191 version 0x45 digest that clef signs for `text/plain`.
 *
 * @param message Raw message bytes from the request.
 * @returns keccak256("\x19Ethereum Signed Message:\n" + len + message).
 *
 * @example Usage
 * ```ts
 * import { hashPersonalMessage } from "./eip191.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(hashPersonalMessage(new Uint8Array()).length, 32);
 * ```
 */
export function hashPersonalMessage(message: Uint8Array): Uint8Array {
  return keccak_256(personalMessage(message));
}

/**
 * Builds the EIP-191 version 0x00 preimage `0x19 ‖ 0x00 ‖ validator ‖ data`
 * (clef's `SignTextValidator`).
 *
 * @param validator The 20-byte intended validator address.
 * @param data Application-specific data.
 * @returns The preimage whose keccak256 is signed.
 *
 * @example Usage
 * ```ts
 * import { validatorMessage } from "./eip191.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(validatorMessage(new Uint8Array(20), new Uint8Array([1])).length, 23);
 * ```
 */
export function validatorMessage(
  validator: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  if (validator.length !== 20) {
    throw new RangeError(`validator must be 20 bytes, got ${validator.length}`);
  }
  return concat(new Uint8Array([0x19, 0x00]), validator, data);
}
