/**
 * Test fixtures for the guard database: a fresh database per test run on
 * the PostgreSQL server at `STAVE_TEST_PG` (default
 * `postgres://postgres@127.0.0.1:5432/postgres`, the project's machines and
 * `.ci/postgres.sh`), dropped afterwards; and a TCP proxy on loopback that
 * a test can cut to simulate an outage.
 *
 * @module
 */
import postgres from "postgres";

/** The administrative URL of the test server. */
export const TEST_PG_ADMIN_URL = Deno.env.get("STAVE_TEST_PG") ??
  "postgres://postgres@127.0.0.1:5432/postgres";

/** Why the tests are skipped, or `undefined` when a server answers. */
export async function pgUnavailable(): Promise<string | undefined> {
  const sql = postgres(TEST_PG_ADMIN_URL, {
    max: 1,
    connect_timeout: 5,
    onnotice: () => {},
  });
  try {
    await sql`SELECT 1`;
    return undefined;
  } catch (err) {
    return `no PostgreSQL server answers at ${
      new URL(TEST_PG_ADMIN_URL).host
    } (${
      (err as Error).message
    }): run .ci/postgres.sh or set STAVE_TEST_PG; PostgreSQL tests skipped`;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** The reason once per process; printed by the first skipped test. */
export const PG_SKIP: string | undefined = await pgUnavailable();
if (PG_SKIP !== undefined) console.warn(PG_SKIP);

/** A database created for one test. */
export interface TestDb {
  /** Its URL. */
  url: string;
  /** Its name (`stave_pg_<random>`). */
  name: string;
  /** Drops it (terminating its sessions). */
  drop(): Promise<void>;
}

/** Creates `stave_pg_<random>` on the test server. */
export async function createTestDb(): Promise<TestDb> {
  const name = `stave_pg_${
    Array.from(crypto.getRandomValues(new Uint8Array(8)))
      .map((b) => b.toString(16).padStart(2, "0")).join("")
  }`;
  const admin = postgres(TEST_PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const u = new URL(TEST_PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      const a = postgres(TEST_PG_ADMIN_URL, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}

/** A loopback TCP proxy to the test server that can be cut and restored. */
export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  port: number;
  /** Rewrites a URL of the test server to go through the proxy. */
  via(url: string): string;
  /** Drops every connection and refuses new ones (the server "stops"). */
  cut(): void;
  /** Lets connections through again. */
  restore(): void;
  /** Closes everything. */
  close(): void;
}

/** Starts a {@linkcode TcpProxy} to the test server on an OS-chosen port. */
export function startTcpProxy(): TcpProxy {
  const target = new URL(TEST_PG_ADMIN_URL);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const open = new Set<Deno.Conn>();
  let down = false;
  const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
    try {
      await from.readable.pipeTo(to.writable);
    } catch {
      // either side closed
    }
    for (const c of [from, to]) {
      try {
        c.close();
      } catch {
        // already closed
      }
      open.delete(c);
    }
  };
  (async () => {
    for await (const client of listener) {
      if (down) {
        client.close();
        continue;
      }
      let server: Deno.Conn;
      try {
        server = await Deno.connect({
          hostname: target.hostname,
          port: Number(target.port || 5432),
        });
      } catch {
        client.close();
        continue;
      }
      open.add(client);
      open.add(server);
      pipe(client, server);
      pipe(server, client);
    }
  })().catch(() => {});
  const dropAll = () => {
    for (const c of open) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    open.clear();
  };
  return {
    port,
    via(url) {
      const u = new URL(url);
      u.hostname = "127.0.0.1";
      u.port = String(port);
      return u.toString();
    },
    cut() {
      down = true;
      dropAll();
    },
    restore() {
      down = false;
    },
    close() {
      down = true;
      dropAll();
      listener.close();
    },
  };
}
