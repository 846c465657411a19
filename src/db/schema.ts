/**
 * The guard database's schema, created and migrated by stave: numbered
 * steps, applied in order in one transaction under an advisory lock (two
 * sealers starting at once do not race), each recorded in `stave_schema`.
 * A database already at a newer version than this stave knows is refused:
 * an older stave must not write a schema it does not understand.
 *
 * @module
 */
import type postgres from "postgres";

/** Arbitrary key of the advisory lock that serialises migrations ("stave"). */
const MIGRATION_LOCK = 0x7374617665;

/**
 * The migration steps; step `i` brings the schema to version `i + 1`.
 * Append only: a released step is never edited.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the Clique guard per chain and account, and the rules' storage per
  // vault (the vault's folder name, derived from the master seed).
  `CREATE TABLE stave_clique_guard (
     chain_id   bigint        NOT NULL,
     account    text          NOT NULL CHECK (account ~ '^0x[0-9a-fA-F]{40}$'),
     number     numeric(78,0) NOT NULL CHECK (number >= 0),
     seal_hash  text          CHECK (seal_hash ~ '^0x[0-9a-f]{64}$'),
     updated_at timestamptz   NOT NULL DEFAULT now(),
     PRIMARY KEY (chain_id, account)
   );
   CREATE TABLE stave_rule_storage (
     vault      text        NOT NULL CHECK (vault ~ '^[0-9a-f]{20}$'),
     key        text        NOT NULL CHECK (key <> ''),
     iv         bytea       NOT NULL,
     c          bytea       NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (vault, key)
   )`,
];

/** The schema version this stave writes. */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

/**
 * Brings the schema to {@linkcode SCHEMA_VERSION} inside a transaction.
 *
 * @param sql A transaction.
 * @returns The version found before.
 * @throws {Error} when the database is at a newer version.
 */
export async function migrate(sql: postgres.TransactionSql): Promise<number> {
  await sql`SELECT pg_advisory_xact_lock(${String(MIGRATION_LOCK)}::bigint)`;
  await sql`CREATE TABLE IF NOT EXISTS stave_schema (
    version    integer     PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;
  const [{ v }] = await sql<
    { v: number }[]
  >`SELECT coalesce(max(version), 0)::int AS v FROM stave_schema`;
  if (v > SCHEMA_VERSION) {
    throw new Error(
      `its schema is at version ${v}, newer than this stave knows (${SCHEMA_VERSION}): upgrade stave`,
    );
  }
  for (let i = v; i < SCHEMA_VERSION; i++) {
    await sql.unsafe(MIGRATIONS[i]);
    await sql`INSERT INTO stave_schema (version) VALUES (${i + 1})`;
  }
  return v;
}
