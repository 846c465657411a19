/**
 * The 4byte selector databases of clef's transaction validation (spec
 * signing.md §7.2): the embedded curated set (`fourbyte_data.ts`) and the
 * custom map behind `--4bytedb-custom`, which grows whenever a
 * caller-supplied selector verifies.
 *
 * Pure: the custom file is read and written by the caller. Loading takes
 * the parsed JSON; every addition calls back with the database, whose
 * {@linkcode FourByteDb.customJson} is the whole custom map serialised as
 * Go's `json.Marshal` does (sorted keys, no whitespace). The caller decides
 * when to write it (the daemon batches, `src/cli/fourbyte_file.ts`: clef
 * rewrote the file on every addition). clef ignores write errors, so the
 * caller's failures are its own to log.
 *
 * @module
 */
import type { JsonValue } from "../json.ts";
import { JsonNumber } from "../json.ts";
import { goJsonStringify } from "../ui/go_format.ts";
import { toHex } from "../_bytes.ts";
import { EMBEDDED_SELECTORS } from "./fourbyte_data.ts";
import { goJsonKind } from "./hexutil.ts";

/** Options of {@linkcode FourByteDb}. */
export interface FourByteDbOptions {
  /** Id → selector text of the embedded set (default: stave's curated set). */
  embedded?: Iterable<readonly [string, string]>;
  /** Initial custom map (e.g. from {@linkcode parseCustomDatabase}). */
  custom?: Iterable<readonly [string, string]>;
  /**
   * Called after each addition with the database (its `customJson()` is
   * what clef writes to the `--4bytedb-custom` path). It is not called for
   * an id already known. Omit for an in-memory map.
   */
  onCustomChange?: (db: FourByteDb) => void;
}

function utf8Compare(a: string, b: string): number {
  const enc = new TextEncoder();
  const x = enc.encode(a), y = enc.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

/**
 * Decodes a custom 4byte file's parsed JSON as Go's
 * `json.Unmarshal(blob, &map[string]string)` would.
 *
 * @param v Parsed file content.
 * @returns The entries (later duplicates win; `null` is an empty map).
 * @throws {TypeError} `json: cannot unmarshal <kind> into Go value of type
 * map[string]string` or `... of type string`.
 *
 * @example Usage
 * ```ts
 * import { parseCustomDatabase } from "./fourbyte.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 * const v = Object.assign(Object.create(null), { "a9059cbb": "transfer(address,uint256)" });
 * deepStrictEqual(parseCustomDatabase(v), [["a9059cbb", "transfer(address,uint256)"]]);
 * ```
 */
export function parseCustomDatabase(v: JsonValue): [string, string][] {
  if (v === null) return [];
  if (
    typeof v !== "object" || Array.isArray(v) || v instanceof JsonNumber
  ) {
    throw new TypeError(
      `json: cannot unmarshal ${
        goJsonKind(v)
      } into Go value of type map[string]string`,
    );
  }
  const out: [string, string][] = [];
  let saved: TypeError | undefined;
  for (const key of Object.keys(v)) {
    const val = v[key];
    if (val === null) continue; // null leaves a map entry untouched in Go
    if (typeof val !== "string") {
      saved ??= new TypeError(
        `json: cannot unmarshal ${
          goJsonKind(val)
        } into Go value of type string`,
      );
      continue;
    }
    out.push([key, val]);
  }
  if (saved) throw saved;
  return out;
}

/**
 * clef's `fourbyte.Database`: embedded and custom id → selector maps.
 *
 * @example Usage
 * ```ts
 * import { FourByteDb } from "./fourbyte.ts";
 * import { strictEqual } from "node:assert/strict";
 * const db = new FourByteDb();
 * strictEqual(db.selector(new Uint8Array([0xa9, 0x05, 0x9c, 0xbb])), "transfer(address,uint256)");
 * ```
 */
export class FourByteDb {
  readonly #embedded: Map<string, string>;
  readonly #custom: Map<string, string>;
  readonly #onCustomChange?: (db: FourByteDb) => void;

  /**
   * Creates the database.
   *
   * @param options Embedded/custom entries and the change callback.
   */
  constructor(options: FourByteDbOptions = {}) {
    this.#embedded = new Map(options.embedded ?? EMBEDDED_SELECTORS);
    this.#custom = new Map(options.custom ?? []);
    this.#onCustomChange = options.onCustomChange;
  }

  /** Number of embedded and custom entries (clef's `Size()`). */
  get size(): { embedded: number; custom: number } {
    return { embedded: this.#embedded.size, custom: this.#custom.size };
  }

  /**
   * Looks up a 4-byte id: embedded first, then custom.
   *
   * @param id At least 4 bytes (only the first 4 are used).
   * @returns The selector text.
   * @throws {Error} `signature <8 hex> not found` or `expected 4-byte id,
   * got <n>`.
   */
  selector(id: Uint8Array): string {
    if (id.length < 4) throw new Error(`expected 4-byte id, got ${id.length}`);
    const sig = toHex(id.subarray(0, 4));
    const found = this.#embedded.get(sig) ?? this.#custom.get(sig);
    if (found === undefined) throw new Error(`signature ${sig} not found`);
    return found;
  }

  /**
   * Adds a verified selector to the custom map unless its id is already
   * known (clef's `AddSelector`), then tells `onCustomChange` (only
   * then: a known id changes nothing and writes nothing).
   *
   * @param selector The selector text.
   * @param data Calldata (its first 4 bytes are the id); shorter is ignored.
   * @returns true when an entry was added.
   */
  addSelector(selector: string, data: Uint8Array): boolean {
    if (data.length < 4) return false;
    const sig = toHex(data.subarray(0, 4));
    if (this.#embedded.has(sig) || this.#custom.has(sig)) return false;
    this.#custom.set(sig, selector);
    this.#onCustomChange?.(this);
    return true;
  }

  /** The custom map as Go's `json.Marshal` writes it. */
  customJson(): string {
    const keys = [...this.#custom.keys()].sort(utf8Compare);
    return "{" +
      keys.map((k) =>
        goJsonStringify(k) + ":" + goJsonStringify(this.#custom.get(k))
      ).join(",") + "}";
  }
}
