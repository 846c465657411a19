/**
 * stave library surface: the pure building blocks of the signer — geth
 * keystore files (Web3 Secret Storage v3), clef's vault format (master
 * seed and AES-GCM stores), address helpers and every signing format clef
 * speaks. Nothing here touches the file system or the network.
 *
 * @example Decrypt a geth key file
 * ```ts
 * import { decryptKeyV3, encryptKeyV3, serializeKeyFile, toChecksumAddress } from "./mod.ts";
 * import { strictEqual } from "node:assert/strict";
 * const key = new Uint8Array(32).fill(1);
 * const file = serializeKeyFile(await encryptKeyV3(key, "pw", { scryptN: 16, scryptP: 1 }));
 * const { address } = await decryptKeyV3(file, "pw");
 * strictEqual(toChecksumAddress(address), "0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1");
 * ```
 *
 * @module
 */
export * from "./src/address.ts";
export * from "./src/errors.ts";
export * from "./src/json.ts";
export * from "./src/ui/ui.ts";
export * from "./src/keystore/mod.ts";
export * from "./src/vault/mod.ts";
export * from "./src/signing/mod.ts";
