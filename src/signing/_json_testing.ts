/**
 * Test helper: parses JSON text into stave's {@linkcode JsonValue} shape
 * (number literals kept as {@linkcode JsonNumber}, null-prototype objects)
 * using `JSON.parse` with source-text access. Tests only.
 *
 * @module
 */
import { JsonNumber, type JsonValue } from "../json.ts";

/** Parses JSON text keeping number literals (tests only). */
export function parseJsonForTest(text: string): JsonValue {
  return JSON.parse(
    text,
    // deno-lint-ignore no-explicit-any
    function (_key: string, value: any, context?: { source?: string }) {
      if (typeof value === "number") return new JsonNumber(context!.source!);
      if (
        value !== null && typeof value === "object" && !Array.isArray(value)
      ) {
        if (value instanceof JsonNumber) return value;
        const o = Object.create(null);
        for (const k of Object.keys(value)) o[k] = value[k];
        return o;
      }
      return value;
    } as Parameters<typeof JSON.parse>[1],
  );
}
