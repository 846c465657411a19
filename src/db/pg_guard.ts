/**
 * The Clique guard's records in PostgreSQL (`--guard-db`): one row per
 * chain id and account in `stave_clique_guard`. {@linkcode PgGuardBackend}
 * only stores; the decision stays in `src/api/clique_guard.ts`, which runs
 * it inside the transaction with the row locked (`SELECT … FOR UPDATE`),
 * so every stave on every host that seals for a key decides on the same,
 * current record, and the new record is committed before the signature is
 * made.
 *
 * @module
 */
import type { GuardBackend, GuardState } from "../api/clique_guard.ts";
import type { GuardDb, Sql } from "./pg.ts";

/** One exported guard record. */
export interface GuardRecord {
  /** Chain id (`--chainid`). */
  chainId: bigint;
  /** Checksummed account. */
  account: string;
  /** The record. */
  state: GuardState;
}

interface Row {
  number: string;
  seal_hash: string | null;
}

function toState(row: Row): GuardState {
  return { number: BigInt(row.number), sealHash: row.seal_hash };
}

/** Guard records in the guard database. */
export class PgGuardBackend implements GuardBackend {
  readonly #db: GuardDb;

  /** @param db The guard database. */
  constructor(db: GuardDb) {
    this.#db = db;
  }

  /**
   * Looks a record up.
   *
   * @param chainId Chain id.
   * @param account Checksummed account.
   * @returns The record, if any.
   * @throws {GuardDbError} when the database fails.
   */
  read(chainId: bigint, account: string): Promise<GuardState | undefined> {
    return this.#db.statement(async (sql) => {
      const rows = await sql<Row[]>`SELECT number::text AS number, seal_hash
        FROM stave_clique_guard
        WHERE chain_id = ${chainId.toString()}::bigint AND account = ${account}`;
      return rows.length === 0 ? undefined : toState(rows[0]);
    });
  }

  /**
   * Replaces a record as `next` decides on the current one, in one
   * transaction holding the row lock; committed when this resolves. When
   * there is no row yet, the insert is `ON CONFLICT DO NOTHING`: if another
   * sealer created the row meanwhile, `next` decides again on that row.
   *
   * @param chainId Chain id.
   * @param account Checksummed account.
   * @param next The decision (see {@linkcode GuardBackend.update}).
   * @returns Nothing of use.
   * @throws {GuardDbError} when the database fails; what `next` throws.
   */
  update(
    chainId: bigint,
    account: string,
    next: (current: GuardState | undefined) => GuardState | undefined,
  ): Promise<void> {
    const chain = chainId.toString();
    return this.#db.transaction(async (sql) => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const rows = await sql<Row[]>`SELECT number::text AS number, seal_hash
          FROM stave_clique_guard
          WHERE chain_id = ${chain}::bigint AND account = ${account}
          FOR UPDATE`;
        const current = rows.length === 0 ? undefined : toState(rows[0]);
        const v = next(current);
        if (v === undefined) return;
        if (current !== undefined) {
          await sql`UPDATE stave_clique_guard
            SET number = ${v.number.toString()}::numeric,
                seal_hash = ${v.sealHash}, updated_at = now()
            WHERE chain_id = ${chain}::bigint AND account = ${account}`;
          return;
        }
        if (await insert(sql, chain, account, v)) return;
      }
      throw new Error("the guard record kept changing under the row lock");
    });
  }

  /**
   * Every record, ordered by chain id and account (`clique-guard-export`).
   *
   * @returns The records.
   * @throws {GuardDbError} when the database fails.
   */
  list(): Promise<GuardRecord[]> {
    return this.#db.transaction(async (sql) => {
      const rows = await sql<(Row & { chain_id: string; account: string })[]>`
        SELECT chain_id::text AS chain_id, account, number::text AS number,
               seal_hash
        FROM stave_clique_guard ORDER BY chain_id, account`;
      return rows.map((r) => ({
        chainId: BigInt(r.chain_id),
        account: r.account,
        state: toState(r),
      }));
    });
  }
}

async function insert(
  sql: Sql,
  chain: string,
  account: string,
  v: GuardState,
): Promise<boolean> {
  const rows = await sql`INSERT INTO stave_clique_guard
      (chain_id, account, number, seal_hash)
    VALUES (${chain}::bigint, ${account}, ${v.number.toString()}::numeric,
            ${v.sealHash})
    ON CONFLICT (chain_id, account) DO NOTHING
    RETURNING 1`;
  return rows.length === 1;
}
