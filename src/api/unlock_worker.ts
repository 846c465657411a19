/**
 * Worker body for {@linkcode KeyUnlocker}: runs the key-file KDF and
 * decryption off the daemon's event loop. Spawned with no permissions; it
 * receives the key file text and the password, and returns the key bytes.
 *
 * @module
 */
import { decryptKeyV3 } from "../keystore/v3.ts";

interface UnlockRequest {
  id: number;
  json: string;
  password: string;
}

// deno-lint-ignore no-explicit-any
const scope = self as any;
scope.onmessage = async (e: MessageEvent<UnlockRequest>) => {
  const { id, json, password } = e.data;
  try {
    const key = await decryptKeyV3(json, password);
    scope.postMessage({ id, privateKey: key.privateKey, address: key.address });
  } catch (err) {
    const name = err instanceof Error ? err.name : "Error";
    const message = err instanceof Error ? err.message : String(err);
    scope.postMessage({ id, error: { name, message } });
  }
};
