/**
 * JSON parsing for `data/typed` payloads (Go `json.Unmarshal` of the hex
 * decoded bytes): invalid UTF-8 becomes U+FFFD per byte, number literals
 * are kept.
 *
 * TODO(stave): switch to `parseJson` from src/json.ts once it lands; this
 * stopgap uses `JSON.parse` with source-text access and only approximates
 * Go's syntax error texts.
 *
 * @module
 */
import { JsonNumber, type JsonValue } from "../json.ts";
import { goBytesToString } from "./_go_fmt.ts";

/**
 * Parses the bytes of a typed-data JSON document.
 * @throws {SyntaxError} on invalid JSON (`unexpected end of JSON input`, ...).
 */
export function parseTypedDataJson(bytes: Uint8Array): JsonValue {
  const text = goBytesToString(bytes);
  if (text.trim() === "") throw new SyntaxError("unexpected end of JSON input");
  let overflow: string | null = null;
  let value: JsonValue;
  try {
    value = JSON.parse(
      text,
      // deno-lint-ignore no-explicit-any
      function (_key: string, v: any, context?: { source?: string }) {
        if (typeof v === "number") {
          if (!Number.isFinite(v)) overflow ??= context!.source!;
          return new JsonNumber(context!.source!);
        }
        if (v !== null && typeof v === "object" && !Array.isArray(v)) {
          if (v instanceof JsonNumber) return v;
          const o = Object.create(null);
          for (const k of Object.keys(v)) o[k] = v[k];
          return o;
        }
        return v;
      } as Parameters<typeof JSON.parse>[1],
    );
  } catch {
    throw new SyntaxError("invalid JSON input");
  }
  if (overflow !== null) {
    throw new SyntaxError(
      `json: cannot unmarshal number ${overflow} into Go value of type float64`,
    );
  }
  return value;
}
