/**
 * clef's `masterseed.json`: 256 random bytes encrypted as a Web3 Secret
 * Storage v3 `crypto` object, wrapped as
 * `{"description":"Clef seed","version":1,"params":{...}}`
 * (go-ethereum `cmd/clef/main.go` `encryptSeed`/`decryptSeed`, spec
 * storage.md §2).
 *
 * @module
 */
import { StaveError } from "../errors.ts";
import { decryptDataV3, encryptDataV3 } from "../keystore/v3.ts";
import {
  goDecodeStruct,
  type GoStruct,
  isJsonObject,
  parseJsonKeepNumbers,
} from "../keystore/_go.ts";
import { goJsonStringify } from "../ui/go_format.ts";

/** Size of the seed `clef init` generates. */
export const MASTER_SEED_SIZE = 256;

/** Largest seed file stave parses (a real one is about 800 bytes). */
export const MAX_MASTER_SEED_FILE_SIZE = 1 << 16;

/** clef's single message for every parse or decryption failure. */
export const SEED_DECRYPT_FAILED = "failed to decrypt the master seed of clef";

/** Options for {@linkcode encryptMasterSeed}. */
export interface EncryptSeedOptions {
  /** scrypt N (262144 normally, 4096 with `--lightkdf`). */
  scryptN: number;
  /** scrypt p (1 normally, 6 with `--lightkdf`). */
  scryptP: number;
  /** 32-byte salt; random when omitted. */
  salt?: Uint8Array;
  /** 16-byte AES-CTR iv; random when omitted. */
  iv?: Uint8Array;
}

/** Options for {@linkcode decryptMasterSeed}. */
export interface DecryptSeedOptions {
  /**
   * Receives clef's warning when `version` is not 1
   * (`unsupported encryption format of seed: <v>, operation will likely fail`).
   */
  onWarning?: (message: string) => void;
}

const SEED_STRUCT: GoStruct = {
  type: "main.encryptedSeedStorage",
  fields: { description: "string", version: "int", params: "map" },
};

/**
 * Encrypts a master seed and returns the exact `masterseed.json` text.
 *
 * @param seed The seed bytes (clef generates 256).
 * @param password The master password (its UTF-8 bytes are used as is).
 * @param opts scrypt parameters; optional fixed salt and iv for vectors.
 * @returns Go `json.Marshal` output: no whitespace, no trailing newline.
 * @throws {RangeError} on invalid scrypt parameters, salt or iv.
 *
 * @example Usage
 * ```ts
 * import { decryptMasterSeed, encryptMasterSeed } from "./master_seed.ts";
 * import { deepStrictEqual, ok } from "node:assert/strict";
 * const seed = new Uint8Array(256).fill(7);
 * const text = await encryptMasterSeed(seed, "pw", { scryptN: 16, scryptP: 1 });
 * ok(text.startsWith('{"description":"Clef seed","version":1,"params":{"cipher":"aes-128-ctr"'));
 * deepStrictEqual(await decryptMasterSeed(text, "pw"), seed);
 * ```
 */
export async function encryptMasterSeed(
  seed: Uint8Array,
  password: string,
  opts: EncryptSeedOptions,
): Promise<string> {
  const params = await encryptDataV3(seed, password, {
    scryptN: opts.scryptN,
    scryptP: opts.scryptP,
    salt: opts.salt,
    iv: opts.iv,
  });
  return goJsonStringify({ description: "Clef seed", version: 1, params });
}

/**
 * Decrypts `masterseed.json` (clef `decryptSeed` plus the checks of
 * `readMasterKey`).
 *
 * @param text The file content.
 * @param password The master password.
 * @param opts Receives the version warning.
 * @returns The seed (all of it); the caller wipes it.
 * @throws {StaveError} `failed to decrypt the master seed of clef` for any
 *   parse or decryption failure (including a wrong password), or
 *   `master seed of insufficient length, expected >255 bytes, got <n>`.
 *
 * @example Usage
 * ```ts
 * import { decryptMasterSeed, encryptMasterSeed } from "./master_seed.ts";
 * import { rejects } from "node:assert/strict";
 * const text = await encryptMasterSeed(new Uint8Array(256), "pw", { scryptN: 16, scryptP: 1 });
 * await rejects(decryptMasterSeed(text, "wrong"), { message: "failed to decrypt the master seed of clef" });
 * await rejects(decryptMasterSeed("{", "pw"), { message: "failed to decrypt the master seed of clef" });
 * ```
 */
export async function decryptMasterSeed(
  text: string,
  password: string,
  opts: DecryptSeedOptions = {},
): Promise<Uint8Array> {
  let seed: Uint8Array;
  try {
    if (text.length > MAX_MASTER_SEED_FILE_SIZE) {
      throw new RangeError("seed file too large");
    }
    const parsed = goDecodeStruct(parseJsonKeepNumbers(text), SEED_STRUCT);
    if (parsed.version !== 1) {
      opts.onWarning?.(
        `unsupported encryption format of seed: ${parsed.version}, operation will likely fail`,
      );
    }
    seed = await decryptDataV3(parsed.params, password);
  } catch (err) {
    throw new StaveError(SEED_DECRYPT_FAILED, { cause: err });
  }
  if (seed.length < MASTER_SEED_SIZE) {
    const n = seed.length;
    seed.fill(0);
    throw new StaveError(
      `master seed of insufficient length, expected >255 bytes, got ${n}`,
    );
  }
  return seed;
}

/**
 * Tells an encrypted master seed from a password file (stave's
 * `--signersecret`, spec storage.md §2.2): true when the text is a JSON
 * object with a `params` object (field names matched case-insensitively,
 * as Go's decoder does).
 *
 * @param text The file content.
 * @returns Whether the file is to be used as an encrypted seed.
 *
 * @example Usage
 * ```ts
 * import { isMasterSeedFile } from "./master_seed.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(isMasterSeedFile('{"description":"Clef seed","version":1,"params":{}}'), true);
 * strictEqual(isMasterSeedFile("my master password\n"), false);
 * strictEqual(isMasterSeedFile('{"params":"x"}'), false);
 * ```
 */
export function isMasterSeedFile(text: string): boolean {
  if (text.length > MAX_MASTER_SEED_FILE_SIZE) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  if (!isJsonObject(parsed)) return false;
  let params: unknown;
  for (const [k, v] of Object.entries(parsed)) {
    if (k.toLowerCase() === "params") params = v;
  }
  return isJsonObject(params);
}
