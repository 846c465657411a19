/**
 * `data/validator` requests (EIP-191 version 0x00, spec signing.md §4):
 * decoding clef's `ValidatorData` and building the display messages.
 *
 * @module
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { toChecksumAddress } from "../address.ts";
import { to0xHex } from "../_bytes.ts";
import type { JsonValue } from "../json.ts";
import type { NameValueType } from "../ui/ui.ts";
import { validatorMessage } from "./eip191.ts";
import { hexFromJson } from "./_hex_value.ts";
import { bytesToAddress } from "./_go_hex.ts";

/** Decoded `data/validator` payload. */
export interface ValidatorData {
  /** The 20-byte intended validator. */
  address: Uint8Array;
  /** Application-specific data (non-empty). */
  message: Uint8Array;
}

/** A `data/validator` request ready to be shown and signed. */
export interface ValidatorDataRequest {
  /** `0x19 ‖ 0x00 ‖ validator ‖ message`. */
  rawData: Uint8Array;
  /** keccak256(rawData). */
  hash: Uint8Array;
  /** The four display entries clef shows. */
  messages: NameValueType[];
}

/**
 * Decodes `{"address":"0x..","message":"0x.."}` as clef's
 * `UnmarshalValidatorData` does.
 *
 * @param data The request's `data` parameter.
 * @returns The validator address (last 20 bytes, left-padded) and message.
 * @throws {TypeError} with clef's texts, e.g.
 * `validator input is not a map[string]interface{}`,
 * `validator address error: wrong type <nil>`, `message is undefined`.
 *
 * @example Usage
 * ```ts
 * import { decodeValidatorData } from "./validator_data.ts";
 * import { strictEqual } from "node:assert/strict";
 * const d = decodeValidatorData(Object.assign(Object.create(null), { address: "0x01", message: "0x02" }));
 * strictEqual(d.address[19], 1);
 * ```
 */
export function decodeValidatorData(data: JsonValue): ValidatorData {
  if (
    typeof data !== "object" || data === null || Array.isArray(data) ||
    !isPlainObject(data)
  ) {
    throw new TypeError("validator input is not a map[string]interface{}");
  }
  const obj = data as { [key: string]: JsonValue };
  let addr: Uint8Array;
  try {
    addr = hexFromJson(own(obj, "address"));
  } catch (e) {
    throw new TypeError(`validator address error: ${(e as Error).message}`);
  }
  if (addr.length === 0) throw new TypeError("validator address is undefined");
  let message: Uint8Array;
  try {
    message = hexFromJson(own(obj, "message"));
  } catch (e) {
    throw new TypeError(`message error: ${(e as Error).message}`);
  }
  if (message.length === 0) throw new TypeError("message is undefined");
  return { address: bytesToAddress(addr), message };
}

function isPlainObject(v: object): boolean {
  const p = Object.getPrototypeOf(v);
  return p === null || p === Object.prototype;
}

function own(obj: { [key: string]: JsonValue }, key: string): JsonValue {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : null;
}

/**
 * Builds the `data/validator` signing request (clef's `SignTextValidator`
 * plus its four display messages).
 *
 * @param data The decoded validator data.
 * @returns raw data, hash and messages in clef's order.
 *
 * @example Usage
 * ```ts
 * import { buildValidatorRequest } from "./validator_data.ts";
 * import { strictEqual } from "node:assert/strict";
 * const r = buildValidatorRequest({ address: new Uint8Array(20), message: new Uint8Array([1]) });
 * strictEqual(r.messages[2].value, "0x01");
 * ```
 */
export function buildValidatorRequest(
  data: ValidatorData,
): ValidatorDataRequest {
  const rawData = validatorMessage(data.address, data.message);
  return {
    rawData,
    hash: keccak_256(rawData),
    messages: [
      {
        name:
          "This is a request to sign data intended for a particular validator (see EIP 191 version 0)",
        value: "",
        type: "description",
      },
      {
        name: "Intended validator address",
        value: toChecksumAddress(data.address),
        type: "address",
      },
      {
        name: "Application-specific data",
        value: to0xHex(data.message),
        type: "hexdata",
      },
      {
        name: "Full message for signing",
        value: to0xHex(rawData),
        type: "hexdata",
      },
    ],
  };
}
