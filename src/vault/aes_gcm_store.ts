/**
 * clef's encrypted key-value store file (go-ethereum
 * `signer/storage/aes_gcm_storage.go`, spec storage.md §4): a JSON object
 * mapping clear-text keys to `{"iv","c"}` records, each value sealed with
 * AES-256-GCM under the store key, with the record's key as associated data.
 *
 * The file format is byte-compatible with clef. stave differs on failures
 * (spec README "Deliberate differences"): a file that cannot be parsed, or a
 * record that fails authentication, is a {@linkcode DamagedFileError} naming
 * the file, and a file that cannot be parsed is never overwritten.
 *
 * File access goes through the injected {@linkcode StoreFile}, so this module
 * does no I/O of its own (`src/cli/fs_vault.ts` supplies the files).
 *
 * @module
 */
import { fromBase64, toBase64 } from "../_bytes.ts";
import { DamagedFileError } from "../errors.ts";
import { goJsonStringify } from "../ui/go_format.ts";
import { createMutex, type RunExclusive } from "./_mutex.ts";

export type { RunExclusive };
import { type Store, StoreKeyError } from "./store.ts";

/** GCM nonce size (Go `gcm.NonceSize()`). */
export const GCM_NONCE_SIZE = 12;
/** GCM tag size in bytes. */
export const GCM_TAG_SIZE = 16;
/**
 * Largest store file stave reads (clef has no cap), and so the largest it
 * writes: a put that would make the file larger is refused.
 */
export const MAX_STORE_FILE_SIZE = 16 << 20;

/** Go's error text when a GCM tag does not verify. */
export const GCM_AUTH_FAILED = "cipher: message authentication failed";

/** One store record as clef writes it (`storedCredential`). */
export interface StoredRecord {
  /** The 12-byte GCM nonce (`null` only in hand-edited files). */
  iv: Uint8Array | null;
  /** Ciphertext ‖ 16-byte tag (`null` only in hand-edited files). */
  c: Uint8Array | null;
}

/** The file behind a store: whole-file read and atomic whole-file write. */
export interface StoreFile {
  /** The path, used in error messages. */
  readonly name: string;
  /** Reads the whole file; `undefined` when it does not exist. */
  read(): Promise<Uint8Array | undefined>;
  /** Replaces the whole file atomically and durably. */
  write(bytes: Uint8Array): Promise<void>;
}

/** Options for {@linkcode AesGcmStore}. */
export interface AesGcmStoreOptions {
  /** Source of 12-byte nonces (tests pin it); random by default. */
  randomNonce?: () => Uint8Array;
  /**
   * Serialises read-modify-write operations (put, del, update: each reads
   * the file inside it). Pass one shared per file when several stores may
   * write the same file, and one that also excludes other processes when
   * they may (`src/cli/fs_vault.ts` does both); defaults to a private
   * in-process mutex.
   */
  runExclusive?: RunExclusive;
}

/** Options for {@linkcode sealRecord}. */
export interface SealOptions {
  /** 12-byte nonce; random when omitted. */
  nonce?: Uint8Array;
}

/** Raw AES key bytes (16, 24 or 32) or an imported AES-GCM key. */
export type AesKey = Uint8Array | CryptoKey;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();
// Keep a BOM so JSON parsing rejects it, as Go's decoder does.
const fileDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** The record key as Go sees it: lone surrogates become U+FFFD. */
function goString(s: string): string {
  return s.toWellFormed();
}

async function importAesKey(key: AesKey): Promise<CryptoKey> {
  if (!(key instanceof Uint8Array)) return key;
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new RangeError(`crypto/aes: invalid key size ${key.length}`);
  }
  // WebCrypto copies the bytes synchronously; the copy is ours to wipe.
  const raw = new Uint8Array(key);
  try {
    return await crypto.subtle.importKey(
      "raw",
      raw,
      "AES-GCM",
      false,
      ["encrypt", "decrypt"],
    );
  } finally {
    raw.fill(0);
  }
}

/**
 * Encrypts one value for key `name`: AES-GCM with a 96-bit nonce, 128-bit
 * tag, associated data = UTF-8 of `name` (spec §4.2).
 *
 * @param key The 32-byte store key (or an imported AES-GCM CryptoKey).
 * @param name The record's key (bound as associated data).
 * @param value The value; its UTF-8 bytes are the plaintext.
 * @param opts Optional fixed nonce (vectors).
 * @returns The record `{iv, c}`.
 * @throws {RangeError} on a bad key or nonce length.
 *
 * @example Usage
 * ```ts
 * import { openRecord, sealRecord } from "./aes_gcm_store.ts";
 * import { strictEqual } from "node:assert/strict";
 * const key = new Uint8Array(32);
 * const rec = await sealRecord(key, "k", "v", { nonce: new Uint8Array(12) });
 * strictEqual(rec.c!.length, 1 + 16);
 * strictEqual(await openRecord(key, "k", rec), "v");
 * ```
 */
export async function sealRecord(
  key: AesKey,
  name: string,
  value: string,
  opts: SealOptions = {},
): Promise<StoredRecord> {
  const nonce = opts.nonce ??
    crypto.getRandomValues(new Uint8Array(GCM_NONCE_SIZE));
  if (nonce.length !== GCM_NONCE_SIZE) {
    throw new RangeError(`nonce must be ${GCM_NONCE_SIZE} bytes`);
  }
  const k = await importAesKey(key);
  const plaintext = utf8Encoder.encode(value);
  try {
    const c = await crypto.subtle.encrypt(
      {
        name: "AES-GCM",
        iv: new Uint8Array(nonce),
        additionalData: utf8Encoder.encode(goString(name)),
        tagLength: 128,
      },
      k,
      plaintext,
    );
    return { iv: new Uint8Array(nonce), c: new Uint8Array(c) };
  } finally {
    plaintext.fill(0);
  }
}

/** A record that cannot be opened: its reason is safe to show. */
export class RecordError extends Error {
  /**
   * Creates the error.
   *
   * @param message Why the record cannot be opened.
   */
  constructor(message: string) {
    super(message);
    this.name = "RecordError";
  }
}

/**
 * Decrypts one record stored under key `name`.
 *
 * @param key The 32-byte store key (or an imported AES-GCM CryptoKey).
 * @param name The record's key (associated data).
 * @param record The stored record.
 * @returns The value (invalid UTF-8 becomes U+FFFD, as Go's `string()`
 *   conversion keeps bytes that JS strings cannot).
 * @throws {RecordError} `cipher: message authentication failed` when the
 *   tag does not verify (wrong key, altered ciphertext/nonce/key name,
 *   swapped records), or a text naming a missing or mis-sized field.
 *
 * @example Usage
 * ```ts
 * import { openRecord, sealRecord } from "./aes_gcm_store.ts";
 * import { rejects } from "node:assert/strict";
 * const key = new Uint8Array(32);
 * const rec = await sealRecord(key, "k1", "v");
 * await rejects(openRecord(key, "k2", rec), { message: "cipher: message authentication failed" });
 * ```
 */
export async function openRecord(
  key: AesKey,
  name: string,
  record: StoredRecord,
): Promise<string> {
  if (record.iv === null || record.iv.length !== GCM_NONCE_SIZE) {
    throw new RecordError(
      `iv must be ${GCM_NONCE_SIZE} bytes, got ${record.iv?.length ?? 0}`,
    );
  }
  if (record.c === null || record.c.length < GCM_TAG_SIZE) {
    throw new RecordError("cipher: message authentication failed");
  }
  const k = await importAesKey(key);
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: new Uint8Array(record.iv),
        additionalData: utf8Encoder.encode(goString(name)),
        tagLength: 128,
      },
      k,
      new Uint8Array(record.c),
    );
  } catch {
    throw new RecordError(GCM_AUTH_FAILED);
  }
  const bytes = new Uint8Array(plain);
  try {
    return utf8Decoder.decode(bytes);
  } finally {
    bytes.fill(0);
  }
}

/**
 * Padded standard base64, checked in linear time: a regex with a repeated
 * group overflowed V8's backtracking stack on fields above ≈4 MiB, so a
 * value of ≈3.5 MiB made its own store file unreadable.
 */
function isPaddedBase64(s: string): boolean {
  if (s.length % 4 !== 0) return false;
  const body = s.endsWith("==")
    ? s.slice(0, -2)
    : s.endsWith("=")
    ? s.slice(0, -1)
    : s;
  return !/[^A-Za-z0-9+/]/.test(body);
}

/** Go's `[]byte` JSON decoding: padded standard base64; CR/LF ignored. */
function decodeBytesField(v: unknown, where: string): Uint8Array | null {
  if (v === null) return null;
  if (typeof v !== "string") {
    throw new TypeError(
      `json: cannot unmarshal ${
        jsonKind(v)
      } into Go struct field ${where} of type []uint8`,
    );
  }
  const s = v.replace(/[\r\n]/g, "");
  if (!isPaddedBase64(s)) throw new SyntaxError("illegal base64 data");
  return fromBase64(s);
}

function jsonKind(v: unknown): string {
  if (typeof v === "string") return "string";
  if (typeof v === "number") return "number";
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return "array";
  return "object";
}

/**
 * Parses a store file as Go's `json.Unmarshal` into
 * `map[string]storedCredential` does: `null` is an empty map, a `null`
 * record has no fields, record field names match case-insensitively,
 * unknown fields are ignored and the last duplicate wins.
 *
 * @param bytes The file content.
 * @returns Records by key, in file order.
 * @throws {SyntaxError} when the text is not JSON (`unexpected end of JSON
 *   input` for an empty file) or a field is not padded base64.
 * @throws {TypeError} when a value has the wrong JSON type.
 * @throws {RangeError} when the file exceeds {@linkcode MAX_STORE_FILE_SIZE}.
 *
 * @example Usage
 * ```ts
 * import { parseStoreFile } from "./aes_gcm_store.ts";
 * import { deepStrictEqual, throws } from "node:assert/strict";
 * const m = parseStoreFile(new TextEncoder().encode('{"k":{"iv":"AAAA","c":null}}'));
 * deepStrictEqual(m.get("k"), { iv: new Uint8Array(3), c: null });
 * throws(() => parseStoreFile(new Uint8Array()), { message: "unexpected end of JSON input" });
 * ```
 */
export function parseStoreFile(bytes: Uint8Array): Map<string, StoredRecord> {
  if (bytes.length > MAX_STORE_FILE_SIZE) {
    throw new RangeError(
      `file larger than ${MAX_STORE_FILE_SIZE} bytes (${bytes.length})`,
    );
  }
  const text = fileDecoder.decode(bytes);
  if (/^[ \t\r\n]*$/.test(text)) {
    throw new SyntaxError("unexpected end of JSON input");
  }
  const parsed: unknown = JSON.parse(text);
  const out = new Map<string, StoredRecord>();
  if (parsed === null) return out;
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new TypeError(
      `json: cannot unmarshal ${
        jsonKind(parsed)
      } into Go value of type map[string]storage.storedCredential`,
    );
  }
  for (const [rawKey, value] of Object.entries(parsed)) {
    const key = goString(rawKey);
    const rec: StoredRecord = { iv: null, c: null };
    if (value !== null) {
      if (typeof value !== "object" || Array.isArray(value)) {
        throw new TypeError(
          `json: cannot unmarshal ${
            jsonKind(value)
          } into Go value of type storage.storedCredential`,
        );
      }
      for (const [field, v] of Object.entries(value)) {
        const f = field.toLowerCase();
        if (f === "iv") rec.iv = decodeBytesField(v, "storedCredential.iv");
        else if (f === "c") rec.c = decodeBytesField(v, "storedCredential.c");
      }
    }
    out.set(key, rec); // a later duplicate wins, as in Go
  }
  return out;
}

function compareUtf8(a: string, b: string): number {
  const x = utf8Encoder.encode(a);
  const y = utf8Encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/**
 * Serialises records as Go's `json.Marshal` writes the map: keys sorted by
 * their UTF-8 bytes, Go string escaping, record fields `iv` then `c` as
 * padded standard base64 (`null` when absent), no whitespace, no newline.
 *
 * @param records Records by key.
 * @returns The file text.
 *
 * @example Usage
 * ```ts
 * import { serializeStoreFile } from "./aes_gcm_store.ts";
 * import { strictEqual } from "node:assert/strict";
 * const rec = { iv: new Uint8Array(3), c: null };
 * strictEqual(
 *   serializeStoreFile(new Map([["b", rec], ["a<", rec]])),
 *   '{"a\\u003c":{"iv":"AAAA","c":null},"b":{"iv":"AAAA","c":null}}',
 * );
 * ```
 */
export function serializeStoreFile(
  records: ReadonlyMap<string, StoredRecord>,
): string {
  const keys = [...records.keys()].map(goString).sort(compareUtf8);
  const enc = (b: Uint8Array | null) =>
    b === null ? "null" : `"${toBase64(b)}"`;
  const parts: string[] = [];
  let prev: string | undefined;
  for (const k of keys) {
    if (k === prev) continue;
    prev = k;
    const r = records.get(k)!;
    parts.push(`${goJsonStringify(k)}:{"iv":${enc(r.iv)},"c":${enc(r.c)}}`);
  }
  return "{" + parts.join(",") + "}";
}

/**
 * An encrypted store backed by one clef-format file (credentials.json,
 * config.json or jsstorage.json).
 *
 * Every operation reads the whole file; writes replace it through
 * {@linkcode StoreFile.write}. A put or delete changes only its own record:
 * other records, including ones that would fail authentication, are
 * written back with the same bytes.
 *
 * @example Usage
 * ```ts
 * import { AesGcmStore } from "./aes_gcm_store.ts";
 * import { strictEqual } from "node:assert/strict";
 * let content: Uint8Array | undefined;
 * const file = {
 *   name: "mem.json",
 *   read: () => Promise.resolve(content),
 *   write: (b: Uint8Array) => { content = b; return Promise.resolve(); },
 * };
 * const store = new AesGcmStore(file, new Uint8Array(32));
 * await store.put("k", "v");
 * strictEqual(await store.get("k"), "v");
 * strictEqual(await store.get("other"), undefined);
 * ```
 */
export class AesGcmStore implements Store {
  readonly #file: StoreFile;
  readonly #key: Promise<CryptoKey>;
  readonly #randomNonce?: () => Uint8Array;
  readonly #run: RunExclusive;

  /**
   * Creates a store over one file.
   *
   * @param file The backing file.
   * @param key The 32-byte store key; it is imported at once and not kept.
   * @param opts Nonce source and write serialisation.
   * @throws {RangeError} (from the first operation) on a bad key length.
   */
  constructor(file: StoreFile, key: Uint8Array, opts: AesGcmStoreOptions = {}) {
    this.#file = file;
    this.#key = importAesKey(key);
    this.#key.catch(() => {}); // reported by the first operation
    this.#randomNonce = opts.randomNonce;
    this.#run = opts.runExclusive ?? createMutex();
  }

  /** The backing file's name. */
  get name(): string {
    return this.#file.name;
  }

  async #load(): Promise<Map<string, StoredRecord>> {
    const bytes = await this.#file.read();
    if (bytes === undefined) return new Map();
    try {
      return parseStoreFile(bytes);
    } catch (err) {
      throw new DamagedFileError(
        this.#file.name,
        (err as Error).message,
        { cause: err },
      );
    }
  }

  /**
   * Looks a key up.
   * @param key The key; must not be empty.
   * @returns The value, or `undefined` when the file or the key is absent.
   * @throws {StoreKeyError} `0-length key`.
   * @throws {DamagedFileError} when the file cannot be parsed or the record
   *   does not authenticate (`<file>: "<key>": cipher: message authentication failed`).
   */
  async get(key: string): Promise<string | undefined> {
    if (key.length === 0) throw new StoreKeyError();
    const name = goString(key);
    const records = await this.#load();
    const rec = records.get(name);
    if (rec === undefined) return undefined;
    try {
      return await openRecord(await this.#key, name, rec);
    } catch (err) {
      if (!(err instanceof RecordError)) throw err;
      throw new DamagedFileError(
        this.#file.name,
        `${goJsonStringify(name)}: ${err.message}`,
      );
    }
  }

  /**
   * Stores a value; the empty key is a no-op.
   * @param key The key (stored in clear).
   * @param value The value (encrypted).
   * @throws {DamagedFileError} when the existing file cannot be parsed (it
   *   is left untouched).
   * @throws {RangeError} when the file would become larger than
   *   {@linkcode MAX_STORE_FILE_SIZE} (it is left untouched; the message
   *   names no path).
   */
  put(key: string, value: string): Promise<void> {
    if (key.length === 0) return Promise.resolve();
    const name = goString(key);
    return this.#run(async () => {
      const records = await this.#load();
      const nonce = this.#randomNonce?.();
      records.set(
        name,
        await sealRecord(await this.#key, name, value, { nonce }),
      );
      const bytes = utf8Encoder.encode(serializeStoreFile(records));
      if (bytes.length > MAX_STORE_FILE_SIZE) {
        // a file stave could not read back would fail every later call
        throw new RangeError(
          `store full: the put would make the file ${bytes.length} bytes, over the limit of ${MAX_STORE_FILE_SIZE}`,
        );
      }
      await this.#file.write(bytes);
    });
  }

  /**
   * Removes a key; nothing is written when it is absent.
   * @param key The key.
   * @throws {DamagedFileError} when the existing file cannot be parsed (it
   *   is left untouched).
   */
  del(key: string): Promise<void> {
    const name = goString(key);
    return this.#run(async () => {
      const records = await this.#load();
      if (!records.delete(name)) return;
      await this.#file.write(utf8Encoder.encode(serializeStoreFile(records)));
    });
  }

  /**
   * Replaces one value as a function of its current one, atomically: under
   * the store's lock (`runExclusive`, which `src/cli/fs_vault.ts` makes
   * cross-process) the file is read afresh, `next` sees the value stored
   * now, and what it returns is written before the lock is released. A
   * guard that must never move backwards (the Clique guard) decides from
   * that fresh value, never from one read earlier.
   *
   * @param key The key; must not be empty.
   * @param next Gets the current value (`undefined` when absent) and returns
   *   the value to store, or `undefined` to write nothing; a throw writes
   *   nothing and is passed on.
   * @returns What `next` returned.
   * @throws {StoreKeyError} `0-length key`.
   * @throws {DamagedFileError} when the file cannot be parsed or the record
   *   does not authenticate (nothing is written).
   *
   * @example Usage
   * ```ts
   * import { AesGcmStore } from "./aes_gcm_store.ts";
   * import { strictEqual } from "node:assert/strict";
   * let content: Uint8Array | undefined;
   * const file = {
   *   name: "mem.json",
   *   read: () => Promise.resolve(content),
   *   write: (b: Uint8Array) => { content = b; return Promise.resolve(); },
   * };
   * const store = new AesGcmStore(file, new Uint8Array(32));
   * const bump = (v: string | undefined) => String(Number(v ?? 0) + 1);
   * await Promise.all([store.update("n", bump), store.update("n", bump)]);
   * strictEqual(await store.get("n"), "2");
   * ```
   */
  update(
    key: string,
    next: (current: string | undefined) => string | undefined,
  ): Promise<string | undefined> {
    if (key.length === 0) return Promise.reject(new StoreKeyError());
    const name = goString(key);
    return this.#run(async () => {
      const records = await this.#load();
      const rec = records.get(name);
      let current: string | undefined;
      if (rec !== undefined) {
        try {
          current = await openRecord(await this.#key, name, rec);
        } catch (err) {
          if (!(err instanceof RecordError)) throw err;
          throw new DamagedFileError(
            this.#file.name,
            `${goJsonStringify(name)}: ${err.message}`,
          );
        }
      }
      const value = next(current);
      if (value === undefined) return undefined;
      const nonce = this.#randomNonce?.();
      records.set(
        name,
        await sealRecord(await this.#key, name, value, { nonce }),
      );
      await this.#file.write(utf8Encoder.encode(serializeStoreFile(records)));
      return value;
    });
  }
}
