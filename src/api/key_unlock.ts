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
 * The key crosses from the Worker in a transferred buffer (moved, never
 * serialised: no copy stays in the Worker or in a message buffer); the
 * caller owns it and wipes it in `finally` after signing.
 *
 * The Worker is started on demand and stopped again once no decryption has
 * been asked for {@linkcode UNLOCK_WORKER_IDLE_MS}: with the key cache a
 * daemon rarely needs it after the first signature, and an idle Worker
 * costs ≈17 MiB (plus whatever scrypt left in its heap, 256 MiB for a
 * standard key until V8 returns it).
 *
 * @module
 */
import { DecryptError, StaveError } from "../errors.ts";

/** How long the unlock Worker stays alive after its last decryption. */
export const UNLOCK_WORKER_IDLE_MS = 1000;

/** Options of {@linkcode KeyUnlocker}. */
export interface KeyUnlockerOptions {
  /**
   * Stop the Worker after this many milliseconds without a decryption in
   * progress (default {@linkcode UNLOCK_WORKER_IDLE_MS}; `Infinity` keeps
   * it until `close()`).
   */
  idleMs?: number;
}

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
  /** Decryptions asked for and not settled yet (queued or running). */
  #active = 0;
  #idleMs: number;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;

  /** @param opts Idle time before the Worker is stopped. */
  constructor(opts: KeyUnlockerOptions = {}) {
    this.#idleMs = opts.idleMs ?? UNLOCK_WORKER_IDLE_MS;
  }

  /** Whether the Worker is currently running (it starts on demand). */
  get running(): boolean {
    return this.#worker !== undefined;
  }

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
      if (!p) {
        // Nobody waits any more (shut down): the key is wiped, not dropped.
        if (privateKey instanceof Uint8Array) privateKey.fill(0);
        return;
      }
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
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const run = () =>
      new Promise<UnlockedKey>((resolve, reject) => {
        const id = this.#next++;
        this.#pending.set(id, { resolve, reject });
        this.#spawn().postMessage({ id, json, password });
      });
    const result = this.#queue.then(run, run);
    this.#active++;
    const settled = () => {
      if (--this.#active === 0) this.#armIdleStop();
    };
    this.#queue = result.then(settled, settled);
    return result;
  }

  /** Stops the Worker once nothing was asked for during the idle time. */
  #armIdleStop(): void {
    if (!Number.isFinite(this.#idleMs) || this.#worker === undefined) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#active !== 0) return;
      this.#worker?.terminate();
      this.#worker = undefined;
    }, this.#idleMs);
  }

  /** Stops the worker; pending calls fail. */
  close(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
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
