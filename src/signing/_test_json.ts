/**
 * Test helper: parses JSON text into stave's {@linkcode JsonValue} shape
 * (null-prototype objects, numbers as {@linkcode JsonNumber}) without the
 * rpc parser.
 *
 * @module
 */
import { JsonNumber, type JsonValue } from "../json.ts";

/**
 * Parses JSON text into a {@linkcode JsonValue}.
 *
 * @param text JSON text.
 * @returns The value.
 */
export function parseJsonValue(text: string): JsonValue {
  return JSON.parse(
    text,
    // deno-lint-ignore no-explicit-any
    function (this: unknown, _k: string, v: unknown, ctx?: any): unknown {
      if (typeof v === "number") {
        return new JsonNumber(ctx?.source ?? String(v));
      }
      if (v !== null && typeof v === "object" && !Array.isArray(v)) {
        return Object.assign(Object.create(null), v);
      }
      return v;
    } as never,
  ) as JsonValue;
}

/** Builds a null-prototype JSON object from a plain object literal. */
export function obj(o: Record<string, JsonValue>): JsonValue {
  return Object.assign(Object.create(null), o);
}
