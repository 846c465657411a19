/**
 * JSON parsing for `data/typed` payloads (Go `json.Unmarshal` of the hex
 * decoded bytes): invalid UTF-8 becomes U+FFFD per byte as Go does inside
 * strings, then the text goes through the project's Go-semantics parser.
 *
 * @module
 */
import { type JsonValue, parseJson } from "../json.ts";
import { goBytesToString } from "./_go_fmt.ts";

/**
 * Parses the bytes of a typed-data JSON document.
 * @throws {SyntaxError} on invalid JSON, with Go's texts.
 * @throws {RangeError} for a number that overflows a double.
 */
export function parseTypedDataJson(bytes: Uint8Array): JsonValue {
  return parseJson(goBytesToString(bytes));
}
