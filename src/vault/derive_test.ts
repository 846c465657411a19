import {
  deepStrictEqual,
  notDeepStrictEqual,
  strictEqual,
} from "node:assert/strict";
import { keccak } from "hash-wasm";
import { fromHex, toHex } from "../_bytes.ts";
import { deriveKey, deriveVaultKeys } from "./derive.ts";

const SEED = Uint8Array.from({ length: 256 }, (_, i) => i);

/** hash-wasm's Keccak (a separate implementation from @noble/hashes). */
function oracle(label: string, seed: Uint8Array): Promise<string> {
  return keccak(
    new Uint8Array([...new TextEncoder().encode(label), ...seed]),
    256,
  );
}

Deno.test("deriveKey() is keccak256(label ‖ seed) (hash-wasm as oracle)", async () => {
  for (
    const label of ["vault", "credentials", "config", "jsstorage"] as const
  ) {
    strictEqual(toHex(deriveKey(label, SEED)), await oracle(label, SEED));
  }
});

Deno.test("deriveVaultKeys() names the folder by the first 10 bytes of K(vault)", async () => {
  const k = deriveVaultKeys(SEED);
  strictEqual(k.dirName, (await oracle("vault", SEED)).slice(0, 20));
  deepStrictEqual(k.credentials, fromHex(await oracle("credentials", SEED)));
  deepStrictEqual(k.config, fromHex(await oracle("config", SEED)));
  deepStrictEqual(k.jsStorage, fromHex(await oracle("jsstorage", SEED)));
  // The whole seed counts, also past 256 bytes.
  const longer = new Uint8Array([...SEED, 0]);
  notDeepStrictEqual(deriveVaultKeys(longer).dirName, k.dirName);
});
