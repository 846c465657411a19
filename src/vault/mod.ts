/**
 * clef's vault: the encrypted master seed (`masterseed.json`), the names
 * and keys derived from it, and the AES-GCM key-value stores
 * (credentials, config, JS rules storage), plus clef's password policy.
 * Pure code; `src/cli/fs_vault.ts` supplies the files.
 *
 * Spec: storage.md §2–§6.
 *
 * @module
 */
export * from "./store.ts";
export * from "./derive.ts";
export * from "./master_seed.ts";
export * from "./aes_gcm_store.ts";
export * from "./password_policy.ts";
