/**
 * The rules' `storage` in PostgreSQL (`--guard-db`): the records of
 * `jsstorage.json`, sealed with the same vault key exactly as that file
 * seals them (AES-256-GCM, the key name as associated data: `sealRecord`
 * and `openRecord` of `src/vault/aes_gcm_store.ts`), one row per vault and
 * key in `stave_rule_storage`. The database sees key names, never values.
 * Each write commits (durably: `synchronous_commit = on`) before it
 * resolves, so the rules engine has it stored before the response leaves.
 *
 * @module
 */
import { StaveError } from "../errors.ts";
import {
  type AesKey,
  openRecord,
  RecordError,
  sealRecord,
} from "../vault/aes_gcm_store.ts";
import { type Store, StoreKeyError } from "../vault/store.ts";
import type { GuardDb } from "./pg.ts";

/** Options for {@linkcode PgRuleStorage}. */
export interface PgRuleStorageOptions {
  /** Source of 12-byte nonces (tests pin it); random by default. */
  randomNonce?: () => Uint8Array;
}

/** The rules' storage of one vault in the guard database. */
export class PgRuleStorage implements Store {
  readonly #db: GuardDb;
  readonly #vault: string;
  readonly #key: AesKey;
  readonly #randomNonce?: () => Uint8Array;

  /**
   * @param db The guard database.
   * @param vault The vault's id (its folder name: 20 hex characters).
   * @param key The vault's jsstorage key (an imported AES-GCM key).
   * @param opts Nonce source.
   */
  constructor(
    db: GuardDb,
    vault: string,
    key: AesKey,
    opts: PgRuleStorageOptions = {},
  ) {
    this.#db = db;
    this.#vault = vault;
    this.#key = key;
    this.#randomNonce = opts.randomNonce;
  }

  /**
   * Looks a key up.
   *
   * @param key The key; must not be empty.
   * @returns The value, or `undefined`.
   * @throws {StoreKeyError} `0-length key`.
   * @throws {GuardDbError} when the database fails.
   * @throws {StaveError} when the record does not authenticate.
   */
  async get(key: string): Promise<string | undefined> {
    if (key.length === 0) throw new StoreKeyError();
    const name = key.toWellFormed();
    const rows = await this.#db.statement((sql) =>
      sql<{ iv: Uint8Array; c: Uint8Array }[]>`SELECT iv, c
        FROM stave_rule_storage WHERE vault = ${this.#vault} AND key = ${name}`
    );
    if (rows.length === 0) return undefined;
    try {
      return await openRecord(this.#key, name, {
        iv: new Uint8Array(rows[0].iv),
        c: new Uint8Array(rows[0].c),
      });
    } catch (err) {
      if (!(err instanceof RecordError)) throw err;
      throw new StaveError(
        `guard database: rule storage record ${
          JSON.stringify(name)
        } of vault ${this.#vault}: ${err.message}`,
      );
    }
  }

  /**
   * Stores a value (the empty key is a no-op), committed when this resolves.
   *
   * @param key The key (stored in clear).
   * @param value The value (sealed).
   * @throws {GuardDbError} when the database fails.
   */
  async put(key: string, value: string): Promise<void> {
    if (key.length === 0) return;
    const name = key.toWellFormed();
    const rec = await sealRecord(this.#key, name, value, {
      nonce: this.#randomNonce?.(),
    });
    await this.#db.statement((sql) =>
      sql`INSERT INTO stave_rule_storage (vault, key, iv, c)
        VALUES (${this.#vault}, ${name}, ${rec.iv!}, ${rec.c!})
        ON CONFLICT (vault, key)
        DO UPDATE SET iv = excluded.iv, c = excluded.c, updated_at = now()`
    );
  }

  /**
   * Removes a key.
   *
   * @param key The key.
   * @throws {GuardDbError} when the database fails.
   */
  async del(key: string): Promise<void> {
    const name = key.toWellFormed();
    await this.#db.statement((sql) =>
      sql`DELETE FROM stave_rule_storage
        WHERE vault = ${this.#vault} AND key = ${name}`
    );
  }
}
