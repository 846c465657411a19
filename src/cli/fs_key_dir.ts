/**
 * The geth key folder on disk (`--keystore`): scanning with geth's skip
 * rules and rescans, lookup by address, and writing new key files as geth
 * does (temp file, verify by decrypting, rename). Spec keystore.md §1, §3.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { concat, fromUtf8, to0xHex } from "../_bytes.ts";
import { StaveError, UnknownAccountError } from "../errors.ts";
import { writeFileAtomic } from "./atomic_file.ts";
import {
  keyFileName,
  parseKeyFileAddress,
  shouldSkipEntry,
} from "../keystore/key_dir.ts";
import {
  checkKeyAddress,
  decryptKeyV3,
  encryptKeyV3,
  MAX_KEY_FILE_SIZE,
  serializeKeyFile,
} from "../keystore/v3.ts";
import {
  generatePrivateKey,
  privateKeyToAddress,
} from "../keystore/raw_key.ts";

/** One key file in the folder. */
export interface KeyStoreAccount {
  /** `0x` + 40 lowercase hex characters. */
  address: string;
  /** `keystore://<absolute path>`. */
  url: string;
  /** Absolute file path. */
  path: string;
}

/** Options for {@linkcode FsKeyStore}. */
export interface FsKeyStoreOptions {
  /** scrypt N for new files (`STANDARD_SCRYPT_N` or `LIGHT_SCRYPT_N`). */
  scryptN: number;
  /** scrypt p for new files (`STANDARD_SCRYPT_P` or `LIGHT_SCRYPT_P`). */
  scryptP: number;
  /** Minimum time between automatic rescans (default 2000 ms, as geth). */
  rescanIntervalMs?: number;
  /** Clock (tests pin it). */
  now?: () => Date;
  /** Randomness for new keys and UUIDs (tests pin it). */
  randomBytes?: (n: number) => Uint8Array;
  /** Called for each file a scan ignores (geth logs these at debug level). */
  onSkip?: (path: string, reason: string) => void;
}

/** Options for {@linkcode FsKeyStore.newAccount} / `importKey`. */
export interface WriteKeyOptions {
  /** Keep this UUID (`clef_import`); random otherwise. */
  id?: string;
}

interface CacheEntry {
  stamp: string;
  address?: Uint8Array;
}

const DISABLED_MSG = "password based accounts not supported";

const encoder = new TextEncoder();
function compareBytes(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function stampOf(info: Deno.FileInfo): string {
  return `${info.mtime?.getTime()}:${info.size}:${info.ino}`;
}

/** Reads at most `limit` bytes of a file, in chunks (no big preallocation). */
async function readPrefix(path: string, limit: number): Promise<Uint8Array> {
  const f = await Deno.open(path, { read: true });
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    while (total < limit) {
      const buf = new Uint8Array(Math.min(64 * 1024, limit - total));
      const n = await f.read(buf);
      if (n === null) break;
      chunks.push(buf.subarray(0, n));
      total += n;
    }
    return chunks.length === 1 ? chunks[0] : concat(...chunks);
  } finally {
    f.close();
  }
}

/**
 * A geth key folder. Construct with `""` for `--keystore ""` (disabled: no
 * accounts; creating keys fails with `password based accounts not
 * supported`).
 *
 * @example Usage
 * ```ts
 * import { FsKeyStore } from "./fs_key_dir.ts";
 * import { strictEqual } from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const ks = new FsKeyStore(dir, { scryptN: 16, scryptP: 1 });
 * const account = await ks.newAccount("password");
 * strictEqual((await ks.accounts())[0].address, account.address);
 * strictEqual(await ks.find(Uint8Array.from(account.address.slice(2).match(/../g)!, (h) => parseInt(h, 16))), account.path);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class FsKeyStore {
  /** Absolute folder path, or `""` when disabled. */
  readonly dir: string;
  /** True when constructed with `""`. */
  readonly disabled: boolean;
  readonly #opts: FsKeyStoreOptions;
  readonly #cache = new Map<string, CacheEntry>();
  #list: KeyStoreAccount[] = [];
  #lastScan = -Infinity;
  #scanning: Promise<void> | undefined;
  #writeLock: Promise<unknown> = Promise.resolve();

  /**
   * Opens a key folder (nothing is read until the first query).
   *
   * @param dir Key folder; made absolute against the working directory.
   *   It need not exist yet.
   * @param opts scrypt parameters for new files and test hooks.
   */
  constructor(dir: string, opts: FsKeyStoreOptions) {
    this.disabled = dir === "";
    this.dir = this.disabled ? "" : resolve(dir);
    this.#opts = opts;
  }

  #now(): Date {
    return this.#opts.now?.() ?? new Date();
  }

  /** Forces a rescan of the folder now. */
  async refresh(): Promise<void> {
    if (this.disabled) return;
    // Join a scan in flight, then scan again so changes made meanwhile show.
    if (this.#scanning) await this.#scanning.catch(() => {});
    const p = this.#scan();
    this.#scanning = p;
    try {
      await p;
    } finally {
      if (this.#scanning === p) this.#scanning = undefined;
    }
  }

  async #maybeRescan(): Promise<void> {
    if (this.disabled) return;
    if (this.#scanning) return await this.#scanning;
    const interval = this.#opts.rescanIntervalMs ?? 2000;
    if (performance.now() - this.#lastScan < interval) return;
    await this.refresh();
  }

  async #scan(): Promise<void> {
    let entries: Deno.DirEntry[] = [];
    try {
      entries = await Array.fromAsync(Deno.readDir(this.dir));
    } catch (err) {
      // A missing folder has no accounts (it is created on the first write).
      // Other failures keep the previous list, as geth does (debug log).
      if (!(err instanceof Deno.errors.NotFound)) {
        this.#opts.onSkip?.(this.dir, (err as Error).message);
        this.#lastScan = performance.now();
        return;
      }
    }
    const seen = new Set<string>();
    for (const e of entries) {
      const path = join(this.dir, e.name);
      if (shouldSkipEntry(e.name, e.isFile && !e.isSymlink)) continue;
      let info: Deno.FileInfo;
      try {
        info = await Deno.lstat(path);
      } catch {
        continue; // removed meanwhile
      }
      if (!info.isFile) continue;
      seen.add(path);
      const stamp = stampOf(info);
      const old = this.#cache.get(path);
      if (old && old.stamp === stamp) continue;
      let address: Uint8Array | undefined;
      try {
        const bytes = await readPrefix(path, MAX_KEY_FILE_SIZE);
        address = parseKeyFileAddress(fromUtf8(bytes));
        if (!address) this.#opts.onSkip?.(path, "missing or zero address");
      } catch (err) {
        this.#opts.onSkip?.(path, (err as Error).message);
      }
      this.#cache.set(path, { stamp, address });
    }
    for (const p of [...this.#cache.keys()]) {
      if (!seen.has(p)) this.#cache.delete(p);
    }
    const list: KeyStoreAccount[] = [];
    for (const [path, e] of this.#cache) {
      if (!e.address) continue;
      list.push({
        address: to0xHex(e.address),
        url: `keystore://${path}`,
        path,
      });
    }
    list.sort((a, b) => compareBytes(a.url, b.url));
    this.#list = list;
    this.#lastScan = performance.now();
  }

  /**
   * Lists the key files with a usable address, ordered by URL; rescans the
   * folder when 2 s passed since the last scan.
   *
   * @returns Fresh account records.
   */
  async accounts(): Promise<KeyStoreAccount[]> {
    await this.#maybeRescan();
    return this.#list.map((a) => ({ ...a }));
  }

  /**
   * A change stamp (mtime, size, inode) of a key file, read fresh from the
   * file system, so holders of a decrypted key can tell at once when the
   * file on disk changed or went away.
   *
   * @param path Absolute key file path.
   * @returns The stamp, or `undefined` when the file is gone or not a
   *   regular file.
   */
  async fileStamp(path: string): Promise<string | undefined> {
    try {
      const info = await Deno.lstat(path);
      return info.isFile ? stampOf(info) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Whether some key file holds `address`.
   *
   * @param address 20-byte address.
   */
  async hasAddress(address: Uint8Array): Promise<boolean> {
    const hex = to0xHex(address);
    return (await this.accounts()).some((a) => a.address === hex);
  }

  /**
   * Finds the one key file for `address`.
   *
   * @param address 20-byte address.
   * @returns The absolute path.
   * @throws {UnknownAccountError} when no file holds it.
   * @throws {StaveError} `multiple keys match address (<p1>, <p2>)`.
   */
  async find(address: Uint8Array): Promise<string> {
    const hex = to0xHex(address);
    const matches = (await this.accounts()).filter((a) => a.address === hex);
    if (matches.length === 0) throw new UnknownAccountError();
    if (matches.length > 1) {
      throw new StaveError(
        `multiple keys match address (${
          matches.map((m) => m.path).join(", ")
        })`,
      );
    }
    return matches[0].path;
  }

  /**
   * Reads the key file of `address`.
   *
   * @param address 20-byte address.
   * @returns The file text.
   * @throws as {@linkcode FsKeyStore.find}.
   */
  async readKeyFile(address: Uint8Array): Promise<string> {
    const path = await this.find(address);
    return fromUtf8(await readPrefix(path, MAX_KEY_FILE_SIZE + 1));
  }

  /**
   * Reads and decrypts the key of `address` (geth `getDecryptedKey`),
   * checking that the file really holds that address.
   *
   * @param address 20-byte address.
   * @param password Key password.
   * @returns The 32-byte secret; the caller wipes it.
   * @throws {DecryptError} on a wrong password; see `decryptKeyV3` and
   *   {@linkcode FsKeyStore.find} for the others, and `key content
   *   mismatch: have account <hex>, want <hex>`.
   */
  async decryptKey(
    address: Uint8Array,
    password: Uint8Array | string,
  ): Promise<Uint8Array> {
    const json = await this.readKeyFile(address);
    const key = await decryptKeyV3(json, password);
    try {
      checkKeyAddress(key.address, address);
    } catch (err) {
      key.privateKey.fill(0);
      throw err;
    }
    return key.privateKey;
  }

  /**
   * Creates a new random key (geth `NewAccount`).
   *
   * @param password Password for the new file.
   * @param opts Optional UUID.
   * @returns The new account.
   * @throws {StaveError} `password based accounts not supported` when
   *   disabled, or geth's save-and-verify failure text.
   */
  async newAccount(
    password: Uint8Array | string,
    opts: WriteKeyOptions = {},
  ): Promise<KeyStoreAccount> {
    if (this.disabled) throw new StaveError(DISABLED_MSG);
    const key = generatePrivateKey(this.#opts.randomBytes);
    try {
      return await this.#locked(() => this.#store(key, password, opts));
    } finally {
      key.fill(0);
    }
  }

  /**
   * Stores an existing secret (geth `ImportECDSA`); refuses an address that
   * is already in the folder.
   *
   * @param privateKey 32-byte secret (not wiped here).
   * @param password Password for the new file.
   * @param opts Optional UUID to keep.
   * @returns The new account.
   * @throws {StaveError} `account already exists`, `password based accounts
   *   not supported`, an invalid-key text, or the save-and-verify failure.
   */
  async importKey(
    privateKey: Uint8Array,
    password: Uint8Array | string,
    opts: WriteKeyOptions = {},
  ): Promise<KeyStoreAccount> {
    if (this.disabled) throw new StaveError(DISABLED_MSG);
    const address = privateKeyToAddress(privateKey);
    return await this.#locked(async () => {
      await this.refresh();
      if (await this.hasAddress(address)) {
        throw new StaveError("account already exists");
      }
      return await this.#store(privateKey, password, opts);
    });
  }

  async #locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#writeLock.then(fn, fn);
    this.#writeLock = run.catch(() => {});
    return await run;
  }

  async #ensureDir(): Promise<void> {
    const missing: string[] = [];
    for (let d = this.dir;; d = resolve(d, "..")) {
      try {
        await Deno.stat(d);
        break;
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
        missing.unshift(d);
      }
      if (d === resolve(d, "..")) break;
    }
    for (const d of missing) {
      try {
        await Deno.mkdir(d, { mode: 0o700 });
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
        continue;
      }
      await Deno.chmod(d, 0o700); // exact, whatever the umask
    }
  }

  async #store(
    key: Uint8Array,
    password: Uint8Array | string,
    opts: WriteKeyOptions,
  ): Promise<KeyStoreAccount> {
    const file = await encryptKeyV3(key, password, {
      scryptN: this.#opts.scryptN,
      scryptP: this.#opts.scryptP,
      id: opts.id,
      randomBytes: this.#opts.randomBytes,
    });
    const address = privateKeyToAddress(key);
    const path = join(this.dir, keyFileName(address, this.#now()));
    await this.#ensureDir();
    await writeFileAtomic(path, serializeKeyFile(file), {
      mode: 0o600,
      createNew: true,
      keepTempOnVerifyFailure: true,
      verify: async (temp) => {
        try {
          const k = await decryptKeyV3(await Deno.readTextFile(temp), password);
          k.privateKey.fill(0);
          checkKeyAddress(k.address, address);
        } catch (err) {
          throw new StaveError(
            "An error was encountered when saving and verifying the keystore file. \n" +
              "This indicates that the keystore is corrupted. \n" +
              `The corrupted file is stored at \n${temp}\n` +
              "Please file a ticket at:\n\n" +
              "https://github.com/ethereum/go-ethereum/issues." +
              `The error was : ${(err as Error).message}`,
            { cause: err },
          );
        }
      },
    });
    await this.refresh();
    return { address: to0xHex(address), url: `keystore://${path}`, path };
  }
}
