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

/** The subset of a vault store the guard needs (src/vault/store.ts). */
export interface GuardStore {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
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
 * Enforces the guard over a durable store. Checks for one account are
 * serialised, so two concurrent requests at the same height cannot both
 * pass.
 */
export class CliqueGuard {
  #store: GuardStore;
  #locks = new Map<string, Promise<void>>();

  /** @param store Durable store; `put` must resolve only once on disk. */
  constructor(store: GuardStore) {
    this.#store = store;
  }

  /** Returns the state for an account (checksummed address), if any. */
  async state(account: string): Promise<GuardState | undefined> {
    const text = await this.#store.get(KEY_PREFIX + account);
    return text === undefined || text === "" ? undefined : decode(text);
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
      const prev = await this.state(account);
      if (prev) {
        if (number < prev.number) {
          throw new CliqueGuardError(
            `clique guard: refusing to sign block ${number}, below the highest signed block ${prev.number}`,
          );
        }
        if (number === prev.number) {
          if (prev.sealHash === sealHash) return;
          if (prev.sealHash !== null) {
            throw new CliqueGuardError(
              `clique guard: refusing to sign a second, different header at block ${number}`,
            );
          }
        }
      }
      await this.#store.put(KEY_PREFIX + account, encode({ number, sealHash }));
    });
  }

  /**
   * Moves the guard back for a deliberate reorg recovery: afterwards any
   * header at `number` or above may be signed once more (per height).
   *
   * @param account Checksummed signer address.
   * @param number The lowest height that may be signed again.
   */
  reset(account: string, number: bigint): Promise<void> {
    return this.#serialise(account, async () => {
      await this.#store.put(
        KEY_PREFIX + account,
        encode({ number, sealHash: null }),
      );
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
