/**
 * clef's `fromHex(data interface{})`: a JSON value that must be a string
 * holding `0x`-prefixed hex.
 *
 * @module
 */
import type { JsonValue } from "../json.ts";
import { goTypeName } from "./_go_fmt.ts";
import { decodeHexBytes } from "./hexutil.ts";

/**
 * Decodes a JSON string of `0x` hex (go-ethereum `hexutil.Decode`).
 * @throws {TypeError} `wrong type <Go type>` for a non-string, or the
 * hexutil error texts (`empty hex string`, `hex string without 0x prefix`,
 * `invalid hex string`, `hex string of odd length`).
 */
export function hexFromJson(data: JsonValue): Uint8Array {
  if (typeof data !== "string") {
    throw new TypeError(`wrong type ${goTypeName(data)}`);
  }
  return decodeHexBytes(data);
}
