import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import postgres from "postgres";
import { CliqueGuard, CliqueGuardError } from "../api/clique_guard.ts";
import { Logger } from "../log.ts";
import { openRecord, sealRecord } from "../vault/aes_gcm_store.ts";
import { GuardDb, GuardDbError } from "./pg.ts";
import { PgGuardBackend } from "./pg_guard.ts";
import { PgRuleStorage } from "./pg_storage.ts";
import { SCHEMA_VERSION } from "./schema.ts";
import { createTestDb, PG_SKIP, startTcpProxy } from "../../tests/_pg.ts";

const A = "0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6";
const B = "0x71562b71999873DB5b286dF957af199Ec94617F7";
const hash = (n: number) => "0x" + n.toString(16).padStart(64, "0");

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    logger: new Logger({ level: 4, sink: (l) => lines.push(l) }),
  };
}

function pgTest(name: string, fn: () => Promise<void>) {
  Deno.test({
    name,
    ignore: PG_SKIP !== undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });
}

pgTest("GuardDb migrates once when two pools start together", async () => {
  const t = await createTestDb();
  const dbs = [0, 1, 2].map(() =>
    new GuardDb(t.url, { logger: recordingLogger().logger })
  );
  try {
    await Promise.all(dbs.map((db) => db.transaction(async () => {})));
    const sql = postgres(t.url, { max: 1, onnotice: () => {} });
    const rows = await sql`SELECT version FROM stave_schema ORDER BY version`;
    deepStrictEqual(rows.map((r) => r.version), [SCHEMA_VERSION]);
    await sql.end();
  } finally {
    await Promise.all(dbs.map((db) => db.close()));
    await t.drop();
  }
});

pgTest("GuardDb refuses a database whose schema is newer", async () => {
  const t = await createTestDb();
  const sql = postgres(t.url, { max: 1, onnotice: () => {} });
  await sql`CREATE TABLE stave_schema (version integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now())`;
  await sql`INSERT INTO stave_schema (version) VALUES (${SCHEMA_VERSION + 1})`;
  await sql.end();
  const db = new GuardDb(t.url, { logger: recordingLogger().logger });
  try {
    await rejects(
      new CliqueGuard(new PgGuardBackend(db)).admit(A, 1n, hash(1)),
      (e: Error) =>
        e instanceof GuardDbError && /newer than this stave/.test(e.message),
    );
  } finally {
    await db.close();
    await t.drop();
  }
});

pgTest(
  "PgGuardBackend: two pools racing one key never admit two headers at a height",
  async () => {
    const t = await createTestDb();
    const dbs = [0, 1].map(() =>
      new GuardDb(t.url, { logger: recordingLogger().logger })
    );
    try {
      // Two guards per pool: the in-process queue does not hide the race.
      const guards = dbs.flatMap((db) => [
        new CliqueGuard(new PgGuardBackend(db), { chainId: 7n }),
        new CliqueGuard(new PgGuardBackend(db), { chainId: 7n }),
      ]);
      const admitted = new Map<bigint, Set<string>>();
      let refused = 0;
      for (let n = 1n; n <= 40n; n++) {
        await Promise.all(guards.flatMap((g, i) =>
          [0, 1].map(async (j) => {
            const h = hash(Number(n) * 100 + i * 2 + j);
            try {
              await g.admit(A, n, h);
              if (!admitted.has(n)) admitted.set(n, new Set());
              admitted.get(n)!.add(h);
            } catch (err) {
              if (!(err instanceof CliqueGuardError)) throw err;
              refused++;
            }
          })
        ));
      }
      for (const [n, set] of admitted) strictEqual(set.size, 1, `height ${n}`);
      strictEqual(admitted.size, 40);
      strictEqual(refused, 40 * 7);
      const st = await guards[3].state(A);
      strictEqual(st?.number, 40n);
      ok(admitted.get(40n)!.has(st!.sealHash!));
      // Below the highest is refused on every pool.
      await rejects(guards[1].admit(A, 39n, hash(1)), /below the highest/);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
      await t.drop();
    }
  },
);

pgTest(
  "PgGuardBackend keeps chains and accounts apart; reset and raise",
  async () => {
    const t = await createTestDb();
    const db = new GuardDb(t.url, { logger: recordingLogger().logger });
    try {
      const g1 = new CliqueGuard(new PgGuardBackend(db), { chainId: 1n });
      const g2 = new CliqueGuard(new PgGuardBackend(db), { chainId: 2n });
      await g1.admit(A, 10n, hash(10));
      await g2.admit(A, 3n, hash(3));
      await g1.admit(B, 1n, hash(1));
      deepStrictEqual(await g1.state(A), { number: 10n, sealHash: hash(10) });
      deepStrictEqual(await g2.state(A), { number: 3n, sealHash: hash(3) });
      deepStrictEqual(await g2.state(B), undefined);
      deepStrictEqual(await g1.reset(A, 5n), {
        number: 10n,
        sealHash: hash(10),
      });
      await g1.admit(A, 5n, hash(55));
      strictEqual(await g1.raise(A, { number: 4n, sealHash: hash(4) }), "kept");
      strictEqual(
        await g1.raise(A, { number: 5n, sealHash: hash(56) }),
        "conflict",
      );
      strictEqual(
        await g1.raise(A, { number: 9n, sealHash: hash(9) }),
        "raised",
      );
      deepStrictEqual(await g1.state(A), { number: 9n, sealHash: hash(9) });
      const all = await new PgGuardBackend(db).list();
      deepStrictEqual(
        all.map((r) => [r.chainId, r.account, r.state.number]),
        [
          [1n, B, 1n],
          [1n, A, 9n],
          [2n, A, 3n],
        ].sort((x, y) =>
          x[0] === y[0]
            ? (String(x[1]) < String(y[1]) ? -1 : 1)
            : Number(x[0]) - Number(y[0])
        ),
      );
    } finally {
      await db.close();
      await t.drop();
    }
  },
);

pgTest(
  "GuardDb fails closed while the server is cut off, logs each change once, and reconnects by itself",
  async () => {
    const t = await createTestDb();
    const proxy = startTcpProxy();
    const { logger, lines } = recordingLogger();
    const db = new GuardDb(proxy.via(t.url), {
      logger,
      opTimeoutMs: 4_000,
      probeMs: 200,
    });
    try {
      const g = new CliqueGuard(new PgGuardBackend(db));
      await g.admit(A, 1n, hash(1));
      proxy.cut();
      for (let n = 2n; n < 6n; n++) {
        await rejects(
          g.admit(A, n, hash(Number(n))),
          (e: Error) =>
            e instanceof GuardDbError && /nothing signed/.test(e.message),
        );
      }
      proxy.restore();
      // The probe brings it back without a request.
      const deadline = Date.now() + 30_000;
      while (!lines.some((l) => l.includes("reachable again"))) {
        if (Date.now() > deadline) throw new Error(lines.join(""));
        await new Promise((r) => setTimeout(r, 50));
      }
      await g.admit(A, 6n, hash(6));
      await rejects(g.admit(A, 5n, hash(5)), CliqueGuardError);
      strictEqual(lines.filter((l) => l.includes("unreachable")).length, 1);
      strictEqual(lines.filter((l) => l.includes("reachable again")).length, 1);
      strictEqual(lines.filter((l) => l.includes("connected")).length, 1);
    } finally {
      await db.close();
      proxy.close();
      await t.drop();
    }
  },
);

pgTest(
  "PgRuleStorage seals values as jsstorage.json does; the database holds no plaintext",
  async () => {
    const t = await createTestDb();
    const db = new GuardDb(t.url, { logger: recordingLogger().logger });
    const key = crypto.getRandomValues(new Uint8Array(32));
    const vault = "0123456789abcdef0123";
    try {
      const nonce = new Uint8Array(12).fill(7);
      const s = new PgRuleStorage(db, vault, key, { randomNonce: () => nonce });
      await s.put("lastblock", "secret-value-123");
      strictEqual(await s.get("lastblock"), "secret-value-123");
      strictEqual(await s.get("other"), undefined);
      // Another vault id sees nothing.
      strictEqual(
        await new PgRuleStorage(db, "ffffffffffffffffffff", key).get(
          "lastblock",
        ),
        undefined,
      );
      const sql = postgres(t.url, { max: 1, onnotice: () => {} });
      const [row] = await sql`SELECT iv, c FROM stave_rule_storage`;
      const expected = await sealRecord(key, "lastblock", "secret-value-123", {
        nonce,
      });
      deepStrictEqual(new Uint8Array(row.c), expected.c);
      strictEqual(
        await openRecord(key, "lastblock", {
          iv: new Uint8Array(row.iv),
          c: new Uint8Array(row.c),
        }),
        "secret-value-123",
      );
      const dump = await sql`SELECT * FROM stave_rule_storage`;
      ok(!JSON.stringify(dump).includes("secret-value"));
      await sql.end();
      await rejects(
        new PgRuleStorage(db, vault, new Uint8Array(32)).get("lastblock"),
        /authentication failed/,
      );
      await s.del("lastblock");
      strictEqual(await s.get("lastblock"), undefined);
    } finally {
      await db.close();
      await t.drop();
    }
  },
);

pgTest("GuardDb speaks TLS with ?sslmode=require", async () => {
  const t = await createTestDb();
  const db = new GuardDb(t.url + "?sslmode=require", {
    logger: recordingLogger().logger,
  });
  try {
    const [row] = await db.transaction((sql) =>
      sql`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`
    );
    strictEqual(row.ssl, true);
  } finally {
    await db.close();
    await t.drop();
  }
});
