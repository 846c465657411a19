/**
 * The Clique double-sign guard (`--clique-guard`): stave never signs two
 * different Clique headers at the same height for the same account, nor a
 * height below the highest it signed, whatever the rules or the UI said.
 *
 * This is the Clique signing guide's "miniature slashing-db" built in. The
 * state lives in an encrypted vault store and is written durably before a
 * signature leaves the signer, so a crash after the write only makes the
 * guard stricter, never looser.
 *
 * @module
 */
import { StaveError } from "../errors.ts";

/**
 * The subset of a vault store the guard needs (`AesGcmStore`,
 * src/vault/aes_gcm_store.ts).
 */
export interface GuardStore {
  /** Looks a value up (no lock needed: files are replaced atomically). */
  get(key: string): Promise<string | undefined>;
  /**
   * Replaces a value as a function of the one stored now, atomically with
   * respect to every other writer of the store, in this process or another
   * (the vault's file lock); `undefined` from `next` writes nothing, a throw
   * writes nothing and is passed on. Resolves only once the value is on disk.
   */
  update(
    key: string,
    next: (current: string | undefined) => string | undefined,
  ): Promise<unknown>;
}

/** What the guard remembers per account. */
export interface GuardState {
  /** The highest height signed, or the floor set by a reset. */
  number: bigint;
  /** `0x` seal hash signed at `number`; null after a reset (not pinned). */
  sealHash: string | null;
}

/** A refused Clique header. */
export class CliqueGuardError extends StaveError {}

const KEY_PREFIX = "clique-guard:";

function encode(state: GuardState): string {
  return JSON.stringify({
    number: state.number.toString(),
    sealHash: state.sealHash,
  });
}

function decodeState(text: string | undefined): GuardState | undefined {
  return text === undefined || text === "" ? undefined : decode(text);
}

function decode(text: string): GuardState {
  const v = JSON.parse(text);
  if (
    typeof v?.number !== "string" || !/^\d+$/.test(v.number) ||
    (v.sealHash !== null && typeof v.sealHash !== "string")
  ) {
    throw new SyntaxError("clique guard state is malformed");
  }
  return { number: BigInt(v.number), sealHash: v.sealHash };
}

/**
 * Enforces the guard over a durable store. Each check reads the record
 * afresh under the store's lock and writes the new record before that lock
 * is released, so the record only moves up whoever else writes the store
 * (`attest`, `setpw`, a second daemon): a writer never puts back a record
 * it read earlier, and two concurrent requests at one height cannot both
 * pass. Checks for one account are also serialised within the process.
 */
export class CliqueGuard {
  #store: GuardStore;
  #locks = new Map<string, Promise<void>>();

  /** @param store Durable store; `update` must resolve only once on disk. */
  constructor(store: GuardStore) {
    this.#store = store;
  }

  /** Returns the state for an account (checksummed address), if any. */
  async state(account: string): Promise<GuardState | undefined> {
    return decodeState(await this.#store.get(KEY_PREFIX + account));
  }

  /**
   * Admits a header for signing, recording it durably first, or throws
   * {@linkcode CliqueGuardError}. Signing the very same header again is
   * allowed (the signature is deterministic, nothing new is revealed).
   *
   * @param account Checksummed signer address.
   * @param number Block number of the header.
   * @param sealHash `0x` hex of the Clique seal hash.
   */
  admit(account: string, number: bigint, sealHash: string): Promise<void> {
    return this.#serialise(account, async () => {
      await this.#store.update(KEY_PREFIX + account, (text) => {
        const prev = decodeState(text);
        if (prev) {
          if (number < prev.number) {
            throw new CliqueGuardError(
              `clique guard: refusing to sign block ${number}, below the highest signed block ${prev.number}`,
            );
          }
          if (number === prev.number) {
            if (prev.sealHash === sealHash) return undefined; // nothing new
            if (prev.sealHash !== null) {
              throw new CliqueGuardError(
                `clique guard: refusing to sign a second, different header at block ${number}`,
              );
            }
          }
        }
        return encode({ number, sealHash });
      });
    });
  }

  /**
   * Moves the guard back for a deliberate reorg recovery: afterwards any
   * header at `number` or above may be signed once more (per height).
   *
   * @param account Checksummed signer address.
   * @param number The lowest height that may be signed again.
   * @returns The state it replaced (read under the same lock), if any.
   */
  reset(account: string, number: bigint): Promise<GuardState | undefined> {
    return this.#serialise(account, async () => {
      let before: GuardState | undefined;
      await this.#store.update(KEY_PREFIX + account, (text) => {
        before = decodeState(text);
        return encode({ number, sealHash: null });
      });
      return before;
    });
  }

  async #serialise<T>(account: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(account) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => release = r);
    const chained = prev.then(() => mine);
    this.#locks.set(account, chained);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.#locks.get(account) === chained) this.#locks.delete(account);
    }
  }
}
