/**
 * The PostgreSQL connection behind `--guard-db` (an edge, like `src/rpc/`:
 * it opens network connections through the npm `postgres` client, and
 * does no file or env access of its own: `src/cli/guard_db.ts` reads the
 * URL file and any CA file and hands them in).
 *
 * Fail closed: every operation is a transaction with a deadline; a failed
 * one is a {@linkcode GuardDbError} (a JSON-RPC error for the request that
 * needed it), never a silent fallback. The connection state is logged on
 * changes only (connected, unreachable, reachable again); while it is down
 * a probe reconnects by itself, so the "reachable again" line comes even
 * without traffic.
 *
 * Every session sets `synchronous_commit = on` (a COMMIT returns only once
 * its WAL is flushed, also when the server default is off), bounds row
 * lock waits and statements, and ends transactions a vanished client left
 * open (`idle_in_transaction_session_timeout`), so a sealer that died with
 * a row lock never blocks the other one for long.
 *
 * @module
 */
import postgres from "postgres";
import { StaveError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { migrate } from "./schema.ts";

/** A transaction's SQL handle (tagged templates: parameters, prepared). */
export type Sql = postgres.TransactionSql;

/** A guarded request failed because the guard database did. */
export class GuardDbError extends StaveError {}

/** Deadline of one operation (connect, wait for locks, commit). */
export const GUARD_DB_OP_TIMEOUT_MS = 15_000;
/** Interval of the reconnect probe while the database is unreachable. */
export const GUARD_DB_PROBE_MS = 2_000;

/** Options for {@linkcode GuardDb}. */
export interface GuardDbOptions {
  /** State changes are logged here. */
  logger: Logger;
  /** PEM CA certificates to verify the server with (implies verify-full). */
  ca?: string;
  /** Deadline of one operation (default {@linkcode GUARD_DB_OP_TIMEOUT_MS}). */
  opTimeoutMs?: number;
  /** Reconnect probe interval (default {@linkcode GUARD_DB_PROBE_MS}). */
  probeMs?: number;
  /** Connection pool size (default 4). */
  max?: number;
}

/**
 * Where a URL points, without its password (for log lines).
 *
 * @param url A `postgres://` URL.
 * @returns `host:port/database`.
 */
export function describeDbUrl(url: string): string {
  const u = new URL(url);
  return `${u.hostname || "localhost"}:${u.port || "5432"}${u.pathname || "/"}`;
}

/**
 * Checks a `--guard-db` URL's form.
 *
 * @param url The URL.
 * @throws {TypeError} when it is not a `postgres://` or `postgresql://` URL.
 */
export function checkDbUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError("not a postgres:// URL");
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    throw new TypeError(
      `not a postgres:// URL (scheme ${JSON.stringify(u.protocol)})`,
    );
  }
}

function reason(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const msg = err.message || String(code ?? err.name);
    return typeof code === "string" && !msg.includes(code)
      ? `${msg} (${code})`
      : msg;
  }
  return String(err);
}

/**
 * A pool of connections to the guard database, with the schema migrated
 * before the first operation and the state logged on changes.
 */
export class GuardDb {
  readonly #sql: postgres.Sql;
  readonly #log: Logger;
  readonly #where: string;
  readonly #timeoutMs: number;
  readonly #probeMs: number;
  #schema: Promise<void> | undefined;
  /** undefined: never reached yet; true: up; false: down. */
  #up: boolean | undefined;
  #probe: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * Creates the pool (no connection is made yet).
   *
   * @param url A `postgres://` URL (a `?sslmode=` of `require`,
   *   `verify-full`, ... is honoured).
   * @param opts Logger, CA and timeouts.
   * @throws {TypeError} when the URL is malformed.
   */
  constructor(url: string, opts: GuardDbOptions) {
    checkDbUrl(url);
    this.#log = opts.logger;
    this.#where = describeDbUrl(url);
    this.#timeoutMs = opts.opTimeoutMs ?? GUARD_DB_OP_TIMEOUT_MS;
    this.#probeMs = opts.probeMs ?? GUARD_DB_PROBE_MS;
    this.#sql = postgres(url, {
      max: opts.max ?? 4,
      connect_timeout: Math.max(1, Math.ceil(this.#timeoutMs / 1000)),
      idle_timeout: 300,
      onnotice: () => {},
      ...(opts.ca === undefined
        ? {}
        : { ssl: { ca: opts.ca, rejectUnauthorized: true } }),
      connection: {
        application_name: "stave",
        synchronous_commit: "on",
        // Milliseconds.
        lock_timeout: Math.ceil(this.#timeoutMs / 2),
        statement_timeout: this.#timeoutMs,
        idle_in_transaction_session_timeout: this.#timeoutMs * 2,
      },
    });
  }

  /** `host:port/database`, for log lines. */
  get where(): string {
    return this.#where;
  }

  /**
   * Connects and migrates the schema now, reporting the outcome in the
   * log; never throws (a failure starts the reconnect probe).
   */
  async start(): Promise<void> {
    await this.transaction(async () => {}).catch(() => {});
  }

  /**
   * Runs `fn` in one transaction (READ COMMITTED; `fn` takes row locks as
   * it needs), committed before this resolves.
   *
   * @param fn The work; a {@linkcode StaveError} it throws (a guard
   *   refusal) rolls back and is passed on as it is.
   * @returns What `fn` returned.
   * @throws {GuardDbError} when the database cannot be reached, the
   *   deadline passes or the transaction fails.
   */
  transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    return this.#run(() => this.#sql.begin((sql) => fn(sql)) as Promise<T>);
  }

  /**
   * Runs one statement on its own (autocommit: one round trip, committed
   * before this resolves), with the deadline and error handling of
   * {@linkcode GuardDb.transaction}.
   *
   * @param fn Issues exactly one statement.
   * @returns What `fn` returned.
   * @throws {GuardDbError} when the database cannot be reached, the
   *   deadline passes or the statement fails.
   */
  statement<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
    return this.#run(() => fn(this.#sql));
  }

  async #run<T>(op: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new GuardDbError("guard database: closed");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`no answer within ${this.#timeoutMs / 1000} s`),
          ),
        this.#timeoutMs,
      );
    });
    try {
      const work = (async () => {
        await this.#migrated();
        return await op();
      })();
      work.catch(() => {}); // a late failure after the deadline
      const out = await Promise.race([work, late]);
      this.#mark(true);
      return out;
    } catch (err) {
      if (err instanceof StaveError) {
        this.#mark(true);
        throw err;
      }
      this.#mark(false, err);
      throw new GuardDbError(
        `guard database ${this.#where} unavailable: ${
          reason(err)
        }; request refused, nothing signed`,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the pool (in-flight operations fail). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#probe);
    await this.#sql.end({ timeout: 5 });
  }

  #migrated(): Promise<void> {
    if (this.#schema === undefined) {
      this.#schema = this.#sql.begin((sql) => migrate(sql)).then(() => {});
      this.#schema.catch(() => this.#schema = undefined);
    }
    return this.#schema;
  }

  #mark(up: boolean, err?: unknown): void {
    if (up) {
      clearTimeout(this.#probe);
      this.#probe = undefined;
      if (this.#up === true) return;
      this.#log.info(
        this.#up === undefined
          ? "Guard database connected"
          : "Guard database reachable again; guarded requests are served",
        { db: this.#where },
      );
      this.#up = true;
      return;
    }
    if (this.#up !== false) {
      this.#log.error(
        "Guard database unreachable; requests that need the Clique guard or rule storage are refused until it returns",
        { db: this.#where, err: reason(err) },
      );
      this.#up = false;
    }
    this.#scheduleProbe();
  }

  #scheduleProbe(): void {
    if (this.#closed || this.#probe !== undefined) return;
    this.#probe = setTimeout(() => {
      this.#probe = undefined;
      this.statement(async (sql) => {
        await sql`SELECT 1`;
      }).catch(() => {});
    }, this.#probeMs);
  }
}
