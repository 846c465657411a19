/**
 * The key-value store interface behind clef's three vault stores
 * (credentials, config, JS rules storage), with an in-memory and a "no
 * vault" implementation (go-ethereum `signer/storage/storage.go`,
 * spec storage.md §4.3 and §5).
 *
 * @module
 */

/**
 * A string-to-string store. Unlike clef's `Storage`, failures are reported:
 * an absent key is `undefined`, while a damaged backing file is an error
 * (spec README "Deliberate differences", storage.md §4.4).
 */
export interface Store {
  /**
   * Looks a key up.
   * @returns The value, or `undefined` when the key is absent.
   * @throws {StoreKeyError} `0-length key` for the empty key.
   */
  get(key: string): Promise<string | undefined>;
  /** Stores a value; the empty key is a no-op (clef `Put`). */
  put(key: string, value: string): Promise<void>;
  /** Removes a key; an absent key is a no-op. */
  del(key: string): Promise<void>;
}

/** clef's `storage.ErrZeroKey` text. */
export const ZERO_KEY_MESSAGE = "0-length key";

/** The empty key was looked up (clef `ErrZeroKey`: `0-length key`). */
export class StoreKeyError extends RangeError {
  /** Creates the error with clef's text. */
  constructor() {
    super(ZERO_KEY_MESSAGE);
    this.name = "StoreKeyError";
  }
}

/**
 * An in-memory store (clef `EphemeralStorage`), for tests and for callers
 * that need a store without a vault on disk.
 *
 * @example Usage
 * ```ts
 * import { MemoryStore } from "./store.ts";
 * import { strictEqual } from "node:assert/strict";
 * const s = new MemoryStore();
 * await s.put("a", "1");
 * strictEqual(await s.get("a"), "1");
 * await s.del("a");
 * strictEqual(await s.get("a"), undefined);
 * ```
 */
export class MemoryStore implements Store {
  #data = new Map<string, string>();

  /**
   * Looks a key up.
   * @param key The key; must not be empty.
   * @returns The value or `undefined`.
   * @throws {StoreKeyError} for the empty key.
   */
  get(key: string): Promise<string | undefined> {
    if (key.length === 0) return Promise.reject(new StoreKeyError());
    return Promise.resolve(this.#data.get(key));
  }

  /**
   * Stores a value (the empty key is ignored).
   * @param key The key.
   * @param value The value.
   */
  put(key: string, value: string): Promise<void> {
    if (key.length > 0) this.#data.set(key, value);
    return Promise.resolve();
  }

  /**
   * Removes a key.
   * @param key The key.
   */
  del(key: string): Promise<void> {
    this.#data.delete(key);
    return Promise.resolve();
  }

  /**
   * Replaces a value as a function of the stored one (as
   * `AesGcmStore.update`; in memory it is atomic by itself).
   * @param key The key; must not be empty.
   * @param next The new value from the current one; `undefined` writes
   *   nothing.
   * @returns What was written, or `undefined`.
   */
  update(
    key: string,
    next: (current: string | undefined) => string | undefined,
  ): Promise<string | undefined> {
    if (key.length === 0) return Promise.reject(new StoreKeyError());
    const value = next(this.#data.get(key));
    if (value !== undefined) this.#data.set(key, value);
    return Promise.resolve(value);
  }

  /** The keys currently stored, in insertion order (for tests). */
  keys(): string[] {
    return [...this.#data.keys()];
  }
}

/**
 * The store used when no vault is open (clef `NoStorage`, spec §5): it
 * remembers nothing; every lookup finds nothing.
 *
 * @example Usage
 * ```ts
 * import { NullStore } from "./store.ts";
 * import { strictEqual } from "node:assert/strict";
 * const s = new NullStore();
 * await s.put("a", "1");
 * strictEqual(await s.get("a"), undefined);
 * ```
 */
export class NullStore implements Store {
  /**
   * Finds nothing.
   * @param _key Ignored.
   * @returns `undefined`.
   */
  get(_key: string): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }
  /**
   * Does nothing.
   * @param _key Ignored.
   * @param _value Ignored.
   */
  put(_key: string, _value: string): Promise<void> {
    return Promise.resolve();
  }
  /**
   * Does nothing.
   * @param _key Ignored.
   */
  del(_key: string): Promise<void> {
    return Promise.resolve();
  }
}
