/**
 * `--guard-db` (stave): where the PostgreSQL URL comes from, and the keys
 * the database's rule storage is sealed with.
 *
 * The flag takes a `postgres://` URL, or the path of a file whose first
 * line is one, so that no password sits on a command line; the file is
 * refused when others may read it, as a master password file is
 * (`readPasswordFile`). A `sslrootcert=<file>` query parameter names a PEM
 * CA file: the server is then verified against it (verify-full).
 *
 * @module
 */
import { FatalError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { deriveVaultKeys } from "../vault/derive.ts";
import { checkDbUrl, GuardDb, type GuardDbOptions } from "../db/pg.ts";
import { readPasswordFile } from "./fs_vault.ts";

/** A resolved `--guard-db`. */
export interface GuardDbTarget {
  /** The URL to connect with (may hold a password: never log it). */
  url: string;
  /** PEM CA certificates from `sslrootcert=<file>`. */
  ca?: string;
}

/** Whether a flag value is a URL (of any scheme) rather than a file path. */
function isUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
}

/**
 * Resolves `--guard-db`: a URL as it is, or the first line of a file
 * others cannot read; `sslrootcert=<file>` is read and taken out of the URL.
 *
 * @param value The flag's value.
 * @param log Warns about a password on the command line.
 * @returns The URL and CA.
 * @throws {FatalError} for an unreadable or insecure file or a bad URL.
 */
export async function resolveGuardDb(
  value: string,
  log: Logger,
): Promise<GuardDbTarget> {
  let url = value;
  if (!isUrl(value)) {
    try {
      url = (await readPasswordFile(value)).trim();
    } catch (err) {
      throw new FatalError(`--guard-db ${value}: ${(err as Error).message}`);
    }
  }
  try {
    checkDbUrl(url);
  } catch (err) {
    throw new FatalError(
      `--guard-db: ${(err as Error).message}${
        isUrl(value) ? "" : ` (first line of ${value})`
      }`,
    );
  }
  const u = new URL(url);
  if (isUrl(value) && u.password !== "") {
    log.warn(
      "--guard-db has a password on the command line; put the URL in a file only you can read and pass its path",
    );
  }
  let ca: string | undefined;
  const rootCert = u.searchParams.get("sslrootcert");
  if (rootCert !== null && rootCert !== "system") {
    try {
      ca = await Deno.readTextFile(rootCert);
    } catch (err) {
      throw new FatalError(
        `--guard-db sslrootcert ${rootCert}: ${(err as Error).message}`,
      );
    }
    u.searchParams.delete("sslrootcert");
    u.searchParams.delete("sslmode");
    url = u.toString();
  }
  return { url, ca };
}

/**
 * Opens the guard database named by `--guard-db` (no connection yet).
 *
 * @param value The flag's value.
 * @param log The logger for state changes.
 * @param opts Timeouts (tests).
 * @returns The database.
 * @throws {FatalError} as {@linkcode resolveGuardDb}.
 */
export async function openGuardDb(
  value: string,
  log: Logger,
  opts: Partial<GuardDbOptions> = {},
): Promise<GuardDb> {
  const target = await resolveGuardDb(value, log);
  return new GuardDb(target.url, {
    ...opts,
    logger: log,
    ca: target.ca,
    opTimeoutMs: opts.opTimeoutMs ?? guardDbTimeoutFromEnv(),
  });
}

/**
 * `STAVE_GUARD_DB_TIMEOUT_MS` bounds one database operation (default 15 s).
 */
function guardDbTimeoutFromEnv(): number | undefined {
  const v = Deno.env.get("STAVE_GUARD_DB_TIMEOUT_MS");
  if (v === undefined || !/^[1-9][0-9]*$/.test(v)) return undefined;
  return Number(v);
}

/** What the database's rule storage needs from the vault. */
export interface RuleStorageKey {
  /** The vault's id (its folder name). */
  vault: string;
  /** The jsstorage key, imported (not extractable). */
  key: CryptoKey;
}

/**
 * Derives the vault's id and jsstorage key from the master seed, as
 * `openVault` does for `jsstorage.json`.
 *
 * @param seed The decrypted master seed (the caller wipes it).
 * @returns The id and the imported key; the raw keys are wiped.
 */
export async function ruleStorageKey(
  seed: Uint8Array,
): Promise<RuleStorageKey> {
  const keys = deriveVaultKeys(seed);
  const raw = new Uint8Array(keys.jsStorage);
  try {
    const key = await crypto.subtle.importKey(
      "raw",
      raw,
      "AES-GCM",
      false,
      ["encrypt", "decrypt"],
    );
    return { vault: keys.dirName, key };
  } finally {
    keys.credentials.fill(0);
    keys.config.fill(0);
    keys.jsStorage.fill(0);
    raw.fill(0);
  }
}
