/**
 * JSON with Go `encoding/json` semantics where clef's behaviour depends on
 * them: number literals are kept (EIP-712 `chainId`, Gnosis integers are
 * decoded from the literal text, not through a double), numbers that
 * overflow a double are rejected, nesting depth is capped, and output
 * escapes as Go does (`<` → `\u003c`, ...).
 *
 * Parsed values use plain arrays, strings, booleans, `null`, null-prototype
 * objects (so `__proto__` is an ordinary key) and {@linkcode JsonNumber}.
 *
 * @module
 */

/** A JSON number that remembers its literal text. */
export class JsonNumber {
  /** The literal exactly as it appeared in the input, e.g. `1.0`, `1e3`. */
  readonly literal: string;
  constructor(literal: string) {
    this.literal = literal;
  }
  /** The IEEE-754 double value (Go's `float64` decoding). */
  get value(): number {
    return Number(this.literal);
  }
  valueOf(): number {
    return this.value;
  }
  toJSON(): number {
    return this.value;
  }
}

/** A parsed JSON value. */
export type JsonValue =
  | null
  | boolean
  | string
  | JsonNumber
  | JsonValue[]
  | { [key: string]: JsonValue };

/** A parsed JSON object (null prototype). */
export type JsonObject = { [key: string]: JsonValue };
