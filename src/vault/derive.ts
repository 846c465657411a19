/**
 * Names and keys derived from clef's master seed (spec storage.md §3,
 * go-ethereum `cmd/clef/main.go`): `K(x) = keccak256(ASCII(x) ‖ seed)`.
 *
 * @module
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { toHex } from "../_bytes.ts";

/** The labels clef hashes with the seed. */
export type VaultLabel = "vault" | "credentials" | "config" | "jsstorage";

/** The vault folder name and the three store keys. */
export interface VaultKeys {
  /** 20 lowercase hex characters: the first 10 bytes of `K("vault")`. */
  dirName: string;
  /** AES-256 key of `credentials.json`. */
  credentials: Uint8Array;
  /** AES-256 key of `config.json`. */
  config: Uint8Array;
  /** AES-256 key of `jsstorage.json`. */
  jsStorage: Uint8Array;
}

/**
 * Computes `K(label) = keccak256(ASCII(label) ‖ seed)`.
 *
 * @param label The ASCII label (no separator, no length prefix).
 * @param seed The whole decrypted master seed.
 * @returns 32 bytes.
 *
 * @example Usage
 * ```ts
 * import { deriveKey } from "./derive.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(deriveKey("config", new Uint8Array(256)).length, 32);
 * ```
 */
export function deriveKey(label: VaultLabel, seed: Uint8Array): Uint8Array {
  const h = keccak_256.create();
  h.update(new TextEncoder().encode(label));
  h.update(seed);
  return h.digest();
}

/**
 * Derives the vault folder name and the store keys from the master seed.
 *
 * @param seed The whole decrypted master seed.
 * @returns Folder name and keys; the caller wipes the keys after use.
 *
 * @example Usage
 * ```ts
 * import { deriveVaultKeys } from "./derive.ts";
 * import { match } from "node:assert/strict";
 * match(deriveVaultKeys(new Uint8Array(256)).dirName, /^[0-9a-f]{20}$/);
 * ```
 */
export function deriveVaultKeys(seed: Uint8Array): VaultKeys {
  const vault = deriveKey("vault", seed);
  const dirName = toHex(vault.subarray(0, 10));
  vault.fill(0);
  return {
    dirName,
    credentials: deriveKey("credentials", seed),
    config: deriveKey("config", seed),
    jsStorage: deriveKey("jsstorage", seed),
  };
}
