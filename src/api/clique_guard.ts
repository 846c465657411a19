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

/**
 * Guard records keyed by chain id and account, for a backend that stores
 * them as such (PostgreSQL, `src/db/pg_guard.ts`). `update` has the
 * contract of {@linkcode GuardStore.update}: `next` sees the record as it
 * is now under a lock that excludes every other writer on every host (a
 * row lock), and what it returns is committed durably before `update`
 * resolves; `next` may be called more than once, only the last call counts.
 */
export interface GuardBackend {
  /** Looks a record up. */
  read(chainId: bigint, account: string): Promise<GuardState | undefined>;
  /** Replaces a record as a function of the current one, atomically. */
  update(
    chainId: bigint,
    account: string,
    next: (current: GuardState | undefined) => GuardState | undefined,
  ): Promise<unknown>;
}

/** Options for {@linkcode CliqueGuard}. */
export interface CliqueGuardOptions {
  /**
   * The chain the records belong to (`--chainid`). A {@linkcode GuardBackend}
   * keys by it; a vault {@linkcode GuardStore} holds one daemon's records and
   * keys by account only, as before. Default 1.
   */
  chainId?: bigint;
}

/** What {@linkcode CliqueGuard.raise} did with an imported record. */
export type RaiseOutcome = "raised" | "kept" | "conflict";

/** A refused Clique header. */
export class CliqueGuardError extends StaveError {}

const KEY_PREFIX = "clique-guard:";

/** The key of an account's record in a vault store. */
export function guardStoreKey(account: string): string {
  return KEY_PREFIX + account;
}

/** Parses a vault store value as a guard record. */
export function decodeGuardState(text: string): GuardState {
  return decode(text);
}

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
  #backend: GuardBackend;
  #chainId: bigint;
  #locks = new Map<string, Promise<void>>();

  /**
   * @param store Durable store (`update` must resolve only once on disk), or
   *   a backend keyed by chain id and account.
   * @param opts The chain id.
   */
  constructor(store: GuardStore | GuardBackend, opts: CliqueGuardOptions = {}) {
    this.#backend = "read" in store ? store : vaultBackend(store);
    this.#chainId = opts.chainId ?? 1n;
  }

  /** Returns the state for an account (checksummed address), if any. */
  state(account: string): Promise<GuardState | undefined> {
    return this.#backend.read(this.#chainId, account);
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
      await this.#backend.update(this.#chainId, account, (prev) => {
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
        return { number, sealHash };
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
      await this.#backend.update(this.#chainId, account, (current) => {
        before = current;
        return { number, sealHash: null };
      });
      return before;
    });
  }

  /**
   * Takes in a record exported elsewhere (`clique-guard-import`): the
   * guard only ever moves up. A higher height replaces the record; the
   * same height pins a seal hash where a reset left none; anything else is
   * kept. The same height with a different seal hash is a conflict (two
   * hosts signed different headers there): the record is kept.
   *
   * @param account Checksummed signer address.
   * @param state The imported record.
   * @returns What happened.
   */
  raise(account: string, state: GuardState): Promise<RaiseOutcome> {
    return this.#serialise(account, async () => {
      let outcome: RaiseOutcome = "kept";
      await this.#backend.update(this.#chainId, account, (cur) => {
        outcome = "kept";
        if (cur === undefined || state.number > cur.number) {
          outcome = "raised";
          return state;
        }
        if (state.number < cur.number || state.sealHash === null) {
          return undefined;
        }
        if (cur.sealHash === null) {
          outcome = "raised";
          return state;
        }
        if (cur.sealHash !== state.sealHash) outcome = "conflict";
        return undefined;
      });
      return outcome;
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

/**
 * A vault store as a backend: one record per account under
 * `clique-guard:<account>`; the vault belongs to one daemon and its
 * `--chainid`, so the chain id is not part of the key (records written
 * before chain ids existed stay valid).
 */
function vaultBackend(store: GuardStore): GuardBackend {
  return {
    async read(_chainId, account) {
      return decodeState(await store.get(KEY_PREFIX + account));
    },
    update(_chainId, account, next) {
      return store.update(KEY_PREFIX + account, (text) => {
        const v = next(decodeState(text));
        return v === undefined ? undefined : encode(v);
      });
    },
  };
}
