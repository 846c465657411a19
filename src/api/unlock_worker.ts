/**
 * Worker body for {@linkcode KeyUnlocker}: runs the key-file KDF and
 * decryption off the daemon's event loop. Spawned with no permissions; it
 * receives the key file text and the password, and returns the key bytes.
 *
 * The key leaves the Worker in a buffer of its own that is transferred,
 * not copied (no serialised copy, nothing left in this heap), and the
 * decrypted original is wiped, also when posting fails.
 *
 * @module
 */
import { type DecryptedKey, decryptKeyV3 } from "../keystore/v3.ts";

/** What the daemon posts to the Worker. */
export interface UnlockRequest {
  id: number;
  json: string;
  password: string;
}

/** Posts a message with a transfer list (the Worker's `postMessage`). */
export type PostMessage = (message: unknown, transfer: Transferable[]) => void;

/**
 * Decrypts one key file and posts `{id, privateKey, address}` (or `{id,
 * error}`), transferring a fresh 32-byte buffer holding the key and wiping
 * every other copy this side made.
 *
 * @param req The request.
 * @param post The Worker's `postMessage`.
 * @param decrypt The decryption (tests replace it).
 */
export async function handleUnlock(
  req: UnlockRequest,
  post: PostMessage,
  decrypt: (json: string, password: string) => Promise<
    Pick<DecryptedKey, "privateKey" | "address">
  > = decryptKeyV3,
): Promise<void> {
  const { id, json, password } = req;
  let key: Uint8Array | undefined;
  let out: Uint8Array<ArrayBuffer> | undefined;
  try {
    const decrypted = await decrypt(json, password);
    key = decrypted.privateKey;
    out = new Uint8Array(new ArrayBuffer(key.length));
    out.set(key);
    post({ id, privateKey: out, address: decrypted.address }, [out.buffer]);
    out = undefined; // transferred: detached here
  } catch (err) {
    const name = err instanceof Error ? err.name : "Error";
    const message = err instanceof Error ? err.message : String(err);
    post({ id, error: { name, message } }, []);
  } finally {
    key?.fill(0);
    out?.fill(0);
  }
}

if ("WorkerGlobalScope" in globalThis) {
  // deno-lint-ignore no-explicit-any
  const scope = self as any;
  scope.onmessage = (e: MessageEvent<UnlockRequest>) =>
    handleUnlock(
      e.data,
      (m, transfer) => scope.postMessage(m, transfer),
    );
}
