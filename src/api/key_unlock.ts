/**
 * Key unlocking for the daemon: scrypt runs in a permissionless Worker, one
 * derivation at a time, so other requests keep flowing while a key unlocks
 * (clef ran scrypt on the request goroutine for every signature).
 *
 * {@linkcode KeyCache} keeps keys whose password came from the vault after
 * their first approved use, keyed by address and validated against the key
 * file's path and modification time, so the file on disk stays
 * authoritative. Everything is wiped on close.
 *
 * @module
 */
import { DecryptError, StaveError } from "../errors.ts";

/** A decrypted key and the address derived from it. */
export interface UnlockedKey {
  privateKey: Uint8Array;
  address: Uint8Array;
}

interface Pending {
  resolve: (key: UnlockedKey) => void;
  reject: (err: Error) => void;
}

/** Decrypts key files in a Worker without permissions, serially. */
export class KeyUnlocker {
  #worker: Worker | undefined;
  #next = 1;
  #pending = new Map<number, Pending>();
  #queue: Promise<unknown> = Promise.resolve();

  #spawn(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(new URL("./unlock_worker.ts", import.meta.url), {
      type: "module",
      // @ts-ignore Deno-specific worker option (unstable worker-options)
      deno: { permissions: "none" },
    });
    w.onmessage = (e) => {
      const { id, privateKey, address, error } = e.data;
      const p = this.#pending.get(id);
      if (!p) return;
      this.#pending.delete(id);
      if (error) {
        p.reject(
          error.name === "DecryptError"
            ? new DecryptError()
            : new StaveError(error.message),
        );
      } else p.resolve({ privateKey, address });
    };
    w.onerror = (e) => {
      e.preventDefault();
      this.#failAll(new StaveError("key decryption failed"));
      this.#worker?.terminate();
      this.#worker = undefined;
    };
    this.#worker = w;
    return w;
  }

  #failAll(err: Error) {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  /**
   * Decrypts a key file. Calls queue behind each other.
   *
   * @param json Key file text.
   * @param password Its password.
   * @returns The 32-byte private key (the caller wipes it) and its address.
   */
  decrypt(json: string, password: string): Promise<UnlockedKey> {
    const run = () =>
      new Promise<UnlockedKey>((resolve, reject) => {
        const id = this.#next++;
        this.#pending.set(id, { resolve, reject });
        this.#spawn().postMessage({ id, json, password });
      });
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => {});
    return result;
  }

  /** Stops the worker; pending calls fail. */
  close(): void {
    this.#failAll(new StaveError("signer shutting down"));
    this.#worker?.terminate();
    this.#worker = undefined;
  }
}

/** Identity of a key file version: its path and change stamp. */
export interface KeyFileStamp {
  path: string;
  /** mtime/size/inode stamp from the key folder scan. */
  stamp: string | undefined;
}

interface Entry {
  stamp: KeyFileStamp;
  key: Uint8Array;
}

/** Decrypted keys kept in memory, wiped when dropped or closed. */
export class KeyCache {
  #entries = new Map<string, Entry>();

  /**
   * Returns a copy of the cached key for an address if the file is
   * unchanged; drops (and wipes) a stale entry.
   */
  get(address: string, stamp: KeyFileStamp): Uint8Array | undefined {
    const e = this.#entries.get(address.toLowerCase());
    if (!e) return undefined;
    if (
      e.stamp.path !== stamp.path || e.stamp.stamp !== stamp.stamp ||
      stamp.stamp === undefined
    ) {
      this.delete(address);
      return undefined;
    }
    return e.key.slice();
  }

  /** Stores a copy of `key`. */
  set(address: string, stamp: KeyFileStamp, key: Uint8Array): void {
    this.delete(address);
    this.#entries.set(address.toLowerCase(), { stamp, key: key.slice() });
  }

  /** Wipes and removes one entry. */
  delete(address: string): void {
    const k = address.toLowerCase();
    const e = this.#entries.get(k);
    if (e) {
      e.key.fill(0);
      this.#entries.delete(k);
    }
  }

  /** Number of cached keys. */
  get size(): number {
    return this.#entries.size;
  }

  /** Wipes every key. */
  clear(): void {
    for (const e of this.#entries.values()) e.key.fill(0);
    this.#entries.clear();
  }
}
