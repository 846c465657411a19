/**
 * geth key files (Web3 Secret Storage v3, legacy v1 read), key derivation,
 * raw key files and key-folder naming rules. Pure: no file or network
 * access; `src/cli/fs_key_dir.ts` does the I/O.
 *
 * @module
 */
export * from "./kdf.ts";
export * from "./v3.ts";
export * from "./raw_key.ts";
export * from "./key_dir.ts";
