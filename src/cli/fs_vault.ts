/**
 * clef's vault on disk (spec storage.md §1–§4): the master seed file and
 * the `<configdir>/<vault>/` folder with its three encrypted stores. The
 * pure codecs live in `src/vault/`; this file does the file I/O.
 *
 * stave differences (spec README "Deliberate differences"): store files are
 * replaced atomically and durably, a damaged store file is reported and
 * never overwritten, every read-modify-write of a store file holds a lock
 * shared by all processes (a mutex within the process, `flock` on
 * `<vault>/.<store>.lock` across them) and re-reads the file under it, and
 * `--signersecret` may name a password file instead of a seed.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { DamagedFileError, StaveError } from "../errors.ts";
import {
  AesGcmStore,
  MAX_STORE_FILE_SIZE,
  type StoreFile,
} from "../vault/aes_gcm_store.ts";
import { deriveVaultKeys } from "../vault/derive.ts";
import {
  isMasterSeedFile,
  MAX_MASTER_SEED_FILE_SIZE,
} from "../vault/master_seed.ts";
import type { Store } from "../vault/store.ts";
import { createMutex, type RunExclusive } from "../vault/_mutex.ts";
import { writeFileAtomic } from "./atomic_file.ts";
import { checkPrivateFolder, goModeString } from "./fs_safety.ts";

export { goModeString };

/** An open vault: its folder and its three stores. */
export interface Vault {
  /** `<configdir>/<20 hex chars>`. */
  dir: string;
  /** `credentials.json`: keystore passwords by checksummed address. */
  credentials: Store;
  /** `config.json`: `ruleset_sha256`, the Clique guard records. */
  config: AesGcmStore;
  /** `jsstorage.json`: the rules' `storage`. */
  jsStorage: Store;
}

/** Largest password file stave reads. */
export const MAX_PASSWORD_FILE_SIZE = 1 << 16;

/** Go's `syscall.Errno` text for the errors `stat` commonly reports. */
function goErrnoText(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return "no such file or directory";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.NotADirectory) return "not a directory";
  if (err instanceof Deno.errors.FilesystemLoop) {
    return "too many levels of symbolic links";
  }
  const msg = err instanceof Error ? err.message : String(err);
  // Deno appends ": stat '<path>'"; keep the OS part only.
  return msg.replace(/ \(os error \d+\).*$/s, "").replace(/: [a-z]+ '.*$/s, "")
    .toLowerCase();
}

/** clef's `checkFile` stat step. */
async function statOrFail(path: string): Promise<Deno.FileInfo> {
  try {
    return await Deno.stat(path);
  } catch (err) {
    throw new StaveError(
      `failed stat on ${path}: stat ${path}: ${goErrnoText(err)}`,
      { cause: err },
    );
  }
}

function checkPermissions(path: string, info: Deno.FileInfo, mask: number) {
  if (Deno.build.os === "windows" || info.mode === null) return;
  if ((info.mode & 0o777 & mask) !== 0) {
    throw new StaveError(
      `file (${path}) has insecure file permissions (${goModeString(info)})`,
    );
  }
}

async function readCapped(
  path: string,
  info: Deno.FileInfo,
  limit: number,
): Promise<Uint8Array> {
  if (info.size > limit) {
    throw new StaveError(`file (${path}) is larger than ${limit} bytes`);
  }
  const bytes = await Deno.readFile(path);
  if (bytes.length > limit) {
    throw new StaveError(`file (${path}) is larger than ${limit} bytes`);
  }
  return bytes;
}

/**
 * Reads an encrypted master seed file with clef's checks, which come
 * before any password prompt (spec §2.2 step 2): the file must exist and,
 * except on Windows, have no permission bit but owner-read (0400 or 0000).
 *
 * @param path The seed file path.
 * @returns The file text.
 * @throws {StaveError} `failed stat on <path>: stat <path>: no such file or
 *   directory`, or `file (<path>) has insecure file permissions (-rw-r--r--)`.
 */
export async function readMasterSeedFile(path: string): Promise<string> {
  const info = await statOrFail(path);
  checkPermissions(path, info, 0o377);
  const bytes = await readCapped(path, info, MAX_MASTER_SEED_FILE_SIZE);
  return new TextDecoder().decode(bytes);
}

/** Takes the first line of a password file. */
function firstLine(path: string, bytes: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(
      bytes,
    );
  } catch {
    throw new StaveError(`password file ${path} is not valid UTF-8`);
  }
  const nl = text.indexOf("\n");
  let line = nl < 0 ? text : text.slice(0, nl);
  if (nl >= 0 && line.endsWith("\r")) line = line.slice(0, -1);
  if (line.length === 0) {
    throw new StaveError(`password file ${path} has an empty first line`);
  }
  return line;
}

/**
 * Reads a small private file whole (a TLS private key): it must exist and
 * have no permission bit for others, as a password file.
 *
 * @param path The file.
 * @param limit Largest size read.
 * @returns The file's text.
 * @throws {StaveError} clef's stat text, `file (<path>) has insecure file
 *   permissions (<mode>)`, or a size error.
 */
export async function readPrivateFile(
  path: string,
  limit: number,
): Promise<string> {
  const info = await statOrFail(path);
  checkPermissions(path, info, 0o007);
  const bytes = await readCapped(path, info, limit);
  try {
    return new TextDecoder().decode(bytes);
  } finally {
    bytes.fill(0);
  }
}

/**
 * Reads a master password file (stave `--signersecret`, spec §2.2): its
 * first line without the trailing `\n` / `\r\n`. The file must not be
 * readable or writable by others (group-read is fine: systemd
 * `LoadCredential=` files show as 0440).
 *
 * @param path The password file path.
 * @returns The password.
 * @throws {StaveError} on a stat failure (clef's text), insecure
 *   permissions (`file (<path>) has insecure file permissions (<mode>)`),
 *   an empty first line, or invalid UTF-8.
 */
export async function readPasswordFile(path: string): Promise<string> {
  const info = await statOrFail(path);
  checkPermissions(path, info, 0o007);
  const bytes = await readCapped(path, info, MAX_PASSWORD_FILE_SIZE);
  try {
    return firstLine(path, bytes);
  } finally {
    bytes.fill(0);
  }
}

/** What a `--signersecret` file turned out to be. */
export type SignerSecret =
  | { kind: "seed"; text: string }
  | { kind: "password"; password: string };

/**
 * Reads a `--signersecret` file and tells a seed from a password file
 * ({@linkcode isMasterSeedFile}); each kind gets its own permission check
 * (seed: clef's 0400 rule; password: nothing for others).
 *
 * @param path The file named by `--signersecret`.
 * @returns The seed text, or the password from the first line.
 * @throws {StaveError} as {@linkcode readMasterSeedFile} and
 *   {@linkcode readPasswordFile}.
 */
export async function readSignerSecretFile(
  path: string,
): Promise<SignerSecret> {
  const info = await statOrFail(path);
  checkPermissions(path, info, 0o007);
  const bytes = await readCapped(
    path,
    info,
    Math.max(MAX_MASTER_SEED_FILE_SIZE, MAX_PASSWORD_FILE_SIZE),
  );
  try {
    const text = new TextDecoder().decode(bytes);
    if (isMasterSeedFile(text)) {
      checkPermissions(path, info, 0o377);
      return { kind: "seed", text };
    }
    return { kind: "password", password: firstLine(path, bytes) };
  } finally {
    bytes.fill(0);
  }
}

/**
 * Writes a new `masterseed.json`: mode exactly 0400, atomic and durable,
 * never over an existing file (clef `initializeSecrets`).
 *
 * @param path Target path (`<configdir>/masterseed.json`).
 * @param text The file content ({@linkcode encryptMasterSeed} output).
 * @throws {StaveError} `master key <path> already exists, will not overwrite`.
 */
export async function writeMasterSeedFile(
  path: string,
  text: string,
): Promise<void> {
  const exists = () =>
    new StaveError(`master key ${path} already exists, will not overwrite`);
  try {
    await Deno.lstat(path);
    throw exists();
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  try {
    await writeFileAtomic(path, text, { mode: 0o400, createNew: true });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) throw exists();
    throw err;
  }
}

/**
 * Creates a folder with mode 0700, one level only; an existing folder is
 * left as it is (clef's `os.Mkdir(dir, 0700)` with "exists" ignored).
 *
 * @param path The folder.
 * @returns true when the folder was created.
 */
export async function ensurePrivateDir(path: string): Promise<boolean> {
  try {
    await Deno.mkdir(path, { mode: 0o700 });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) return false;
    throw err;
  }
  // mkdir's mode is filtered by the umask; set it exactly.
  if (Deno.build.os !== "windows") await Deno.chmod(path, 0o700);
  return true;
}

/** How long a vault write waits for another process's lock on a store. */
export const VAULT_LOCK_TIMEOUT_MS = 30_000;

/** Options for {@linkcode storeFileLock}. */
export interface StoreFileLockOptions {
  /** Bound of the wait for another process (default {@linkcode VAULT_LOCK_TIMEOUT_MS}). */
  timeoutMs?: number;
}

/** The lock file of a store file: `<folder>/.<name>.lock`. */
export function lockFilePath(storePath: string): string {
  return join(dirname(storePath), `.${basename(storePath)}.lock`);
}

/** The temp names {@linkcode writeFileAtomic} gives a store file's writes. */
function isTempOf(storeName: string, entry: string): boolean {
  const prefix = `.${storeName}.tmp`;
  return entry.startsWith(prefix) &&
    /^[0-9a-f]{16}$/.test(entry.slice(prefix.length));
}

/**
 * Removes the temp files of a store's atomic writes that a killed writer
 * left. Called with the store's lock held: every writer of the store holds
 * it while its temp file exists, so none of these can still be in use.
 */
function removeStaleTemps(storePath: string): void {
  // Synchronous: a listing of a folder of a few entries costs less than a
  // trip through the blocking thread pool on a loaded machine.
  const dir = dirname(storePath);
  const name = basename(storePath);
  for (const e of Deno.readDirSync(dir)) {
    if (!e.isFile || !isTempOf(name, e.name)) continue;
    try {
      Deno.removeSync(join(dir, e.name));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
}

/** Takes an exclusive flock on `file`, or gives up after `timeoutMs`. */
async function lockWithin(
  file: Deno.FsFile,
  lockPath: string,
  timeoutMs: number,
): Promise<void> {
  const locked = file.lock(true);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((r) => {
    timer = setTimeout(() => r("late"), timeoutMs);
  });
  let outcome: "locked" | "late";
  try {
    outcome = await Promise.race([locked.then(() => "locked" as const), late]);
  } finally {
    clearTimeout(timer);
  }
  if (outcome === "late") {
    // The flock call cannot be cancelled: release it when it returns.
    locked.then(() => file.close(), () => file.close());
    throw new StaveError(
      `the vault is locked by another process: waited ${
        timeoutMs / 1000
      } s for ${lockPath}`,
    );
  }
}

/**
 * The lock of one store file, for every reader-modifier-writer of it in
 * this process and in others: an in-process mutex (callers run one at a
 * time, in arrival order), then an exclusive `flock` on the store's lock
 * file (`<vault>/.<store>.lock`, created 0600, never removed), held for the
 * whole operation. The store re-reads its file inside, so no process writes
 * back what it read before another's write. The kernel drops the flock when
 * its holder dies (kill -9 included), so a stale lock cannot block anyone.
 * With the lock held, temp files that killed writers left are removed.
 * Readers need no lock: store files are replaced by an atomic rename.
 *
 * @param storePath The store file.
 * @param opts Timeout of the wait for another process.
 * @returns The exclusive runner for {@linkcode AesGcmStore}.
 */
export function storeFileLock(
  storePath: string,
  opts: StoreFileLockOptions = {},
): RunExclusive {
  const timeoutMs = opts.timeoutMs ?? VAULT_LOCK_TIMEOUT_MS;
  const lockPath = lockFilePath(storePath);
  const inProcess = createMutex();
  return <T>(fn: () => Promise<T>): Promise<T> =>
    inProcess(async () => {
      // Opening never waits for another process; only the flock may.
      const file = Deno.openSync(lockPath, {
        read: true,
        write: true,
        create: true,
        mode: 0o600,
      });
      try {
        // Uncontended: no trip through the blocking thread pool.
        if (!file.tryLockSync(true)) {
          await lockWithin(file, lockPath, timeoutMs);
        }
      } catch (err) {
        if (!(err instanceof StaveError)) file.close();
        throw err;
      }
      try {
        removeStaleTemps(storePath);
        return await fn();
      } finally {
        file.close(); // releases the flock
      }
    });
}

const locks = new Map<string, RunExclusive>();

/** One lock per store file path, shared by every store in this process. */
function lockFor(path: string): RunExclusive {
  const key = resolve(path);
  let run = locks.get(key);
  if (run === undefined) {
    run = storeFileLock(key);
    locks.set(key, run);
  }
  return run;
}

/**
 * A store file on disk: missing → `undefined`; writes are atomic and
 * durable, mode 0600 on creation, the existing mode kept on rewrite.
 *
 * @param path The file path.
 * @returns The file interface for {@linkcode AesGcmStore}.
 */
export function fsStoreFile(path: string): StoreFile {
  return {
    name: path,
    async read() {
      let info: Deno.FileInfo;
      try {
        info = await Deno.stat(path);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return undefined;
        throw new DamagedFileError(path, goErrnoText(err), { cause: err });
      }
      if (info.size > MAX_STORE_FILE_SIZE) {
        throw new DamagedFileError(
          path,
          `file larger than ${MAX_STORE_FILE_SIZE} bytes (${info.size})`,
        );
      }
      try {
        return await Deno.readFile(path);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return undefined;
        throw new DamagedFileError(path, goErrnoText(err), { cause: err });
      }
    },
    async write(bytes: Uint8Array) {
      let mode = 0o600;
      try {
        const info = await Deno.stat(path);
        if (info.mode !== null) mode = info.mode & 0o7777;
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
      await writeFileAtomic(path, bytes, { mode });
    },
  };
}

/** Options for {@linkcode openVault}. */
export interface OpenVaultOptions {
  /** Nonce source for the stores (tests pin it). */
  randomNonce?: () => Uint8Array;
}

/**
 * Opens (creating its folder when needed) the vault that belongs to a
 * master seed: `<configdir>/<first 10 bytes of K("vault") as hex>/`, mode
 * 0700, with `credentials.json`, `config.json` and `jsstorage.json`
 * (spec §3). The store keys are imported and wiped here.
 *
 * @param configDir The config folder (`--configdir`).
 * @param seed The decrypted master seed (the caller wipes it).
 * @param opts Test hooks.
 * @returns The vault.
 * @throws {Deno.errors.NotFound} when `configDir` does not exist (single
 *   level mkdir, as clef).
 * @throws {StaveError} (`UnsafePathError`) when the config or vault
 *   folder, or one above them, could be changed by another user (stave;
 *   see `checkPrivateFolder` in `./fs_safety.ts`).
 */
export async function openVault(
  configDir: string,
  seed: Uint8Array,
  opts: OpenVaultOptions = {},
): Promise<Vault> {
  const keys = deriveVaultKeys(seed);
  try {
    const dir = join(configDir, keys.dirName);
    await checkPrivateFolder(configDir, "config folder");
    await ensurePrivateDir(dir);
    await checkPrivateFolder(dir, "vault folder");
    const store = (name: string, key: Uint8Array) => {
      const path = join(dir, name);
      return new AesGcmStore(fsStoreFile(path), key, {
        randomNonce: opts.randomNonce,
        runExclusive: lockFor(path),
      });
    };
    return {
      dir,
      credentials: store("credentials.json", keys.credentials),
      config: store("config.json", keys.config),
      jsStorage: store("jsstorage.json", keys.jsStorage),
    };
  } finally {
    keys.credentials.fill(0);
    keys.config.fill(0);
    keys.jsStorage.fill(0);
  }
}
