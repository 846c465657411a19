/**
 * `--guard-db` against a real PostgreSQL server (issue 12): two daemons
 * with one key (two "hosts": copies of one set-up) and one database.
 *
 * - Hammered concurrently with the same and with different headers for the
 *   same heights (thousands of requests), no height ever gets seals of two
 *   different headers, whichever daemon answered.
 * - With the database cut off (a loopback TCP proxy the test controls),
 *   nothing guarded is signed, the refusal is a clear JSON-RPC error, what
 *   needs no guard is still served, and sealing resumes when it returns,
 *   with the state changes logged once.
 * - `--guard-db` as a file: refused when others can read it.
 *
 * Skipped with a message when no server answers (`.ci/run` starts one).
 * `STAVE_PG_HAMMER_HEIGHTS` sets the heights of the hammer (default 150:
 * 150 × 12 = 1,800 requests).
 */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import { IpcClient, setupSigner, sleep, startDaemon } from "./_daemon.ts";
import {
  cloneSetup,
  doubleSigned,
  GUARD_ONLY_RULES,
  type SealLog,
  sealOnce,
} from "./_pg_ha.ts";
import { createTestDb, PG_SKIP, startTcpProxy } from "./_pg.ts";

const HEIGHTS = BigInt(Deno.env.get("STAVE_PG_HAMMER_HEIGHTS") ?? 150);

function pgTest(name: string, fn: () => Promise<void>) {
  Deno.test({
    name,
    ignore: PG_SKIP !== undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });
}

async function guardRows(url: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await sql`SELECT chain_id::text AS chain_id, account,
      number::text AS number, seal_hash FROM stave_clique_guard`;
  } finally {
    await sql.end();
  }
}

pgTest(
  "guard db: two daemons with one key and one database never seal two headers at one height",
  async () => {
    const db = await createTestDb();
    const a = await setupSigner({ rulesSource: GUARD_ONLY_RULES });
    const b = await cloneSetup(a);
    // A generous rules timeout: on a loaded machine a rule that waits for
    // storage must not turn seals into "request denied" (fail closed, but
    // not what this test counts).
    const flags = [
      "--clique-guard",
      "--guard-db",
      db.url,
      "--rules-timeout",
      "20s",
    ];
    const da = await startDaemon(a, { extraFlags: flags });
    const dbn = await startDaemon(b, { extraFlags: flags });
    const clients = await Promise.all([
      IpcClient.connect(da.ipcPath),
      IpcClient.connect(da.ipcPath),
      IpcClient.connect(dbn.ipcPath),
      IpcClient.connect(dbn.ipcPath),
    ]);
    const log: SealLog = new Map();
    let requests = 0;
    let signed = 0;
    const refusals = new Map<string, number>();
    try {
      for (let n = 1n; n <= HEIGHTS; n++) {
        // Per height: every client sends the common header (variant 0) and
        // a header of its own, all at once; the common one twice.
        const outs = await Promise.all(
          clients.flatMap((c, i) =>
            // Odd heights: each client's own header goes first.
            (n % 2n === 0n ? [0n, BigInt(i + 1), 0n] : [BigInt(i + 1), 0n, 0n])
              .map((v) => sealOnce(c, a.address, n, v, log))
          ),
        );
        requests += outs.length;
        for (const o of outs) {
          if (o.outcome === "signed") signed++;
          else if (o.outcome === "refused") {
            const m = o.message!.replace(/block \d+/g, "block N");
            refusals.set(m, (refusals.get(m) ?? 0) + 1);
          } else throw new Error("connection lost");
        }
        const at = log.get(n);
        ok(
          at === undefined || at.size === 1,
          `height ${n}: ${at?.size} headers`,
        );
      }
      deepStrictEqual(doubleSigned(log), []);
      ok(log.size >= Number(HEIGHTS) * 0.9, `${log.size} heights sealed`);
      ok(requests >= 1500 || HEIGHTS < 125n, `${requests} requests`);
      // The guard refuses; "request denied" (a rule that timed out on an
      // overloaded machine) fails closed too and is only counted.
      for (const m of refusals.keys()) {
        match(
          m,
          /^(clique guard: refusing to sign a second, different header|request denied)/,
        );
      }
      // Below the highest is refused by both daemons.
      for (const c of [clients[0], clients[2]]) {
        const below = [...log.keys()].reduce((x, y) => x > y ? x : y) - 1n;
        const o = await sealOnce(c, a.address, below, 99n, log);
        strictEqual(o.outcome, "refused");
        match(o.message!, /below the highest signed block/);
      }
      const rows = await guardRows(db.url);
      strictEqual(rows.length, 1);
      const top = [...log.keys()].reduce((x, y) => x > y ? x : y);
      strictEqual(rows[0].number, String(top));
      strictEqual(rows[0].chain_id, "4");
      ok(log.get(top)!.has(rows[0].seal_hash));
      // The rules' storage is in the database, sealed: no plaintext.
      const sql = postgres(db.url, { max: 1, onnotice: () => {} });
      const st = await sql`SELECT key, iv, c FROM stave_rule_storage`;
      await sql.end();
      deepStrictEqual(st.map((r) => r.key), ["lastblock"]);
      ok(!new TextDecoder().decode(st[0].c).includes(String(HEIGHTS)));
      console.log(
        `hammer: ${requests} requests, ${signed} seals, ${log.size} heights, refusals ${
          JSON.stringify(Object.fromEntries(refusals))
        }`,
      );
    } finally {
      for (const c of clients) c.close();
      await da.stop();
      await dbn.stop();
      await a.cleanup();
      await b.cleanup();
      await db.drop();
    }
  },
);

pgTest(
  "guard db: with the database cut off nothing guarded is signed, the rest is served, and sealing resumes",
  async () => {
    const db = await createTestDb();
    const proxy = startTcpProxy();
    const s = await setupSigner({ rulesSource: GUARD_ONLY_RULES });
    const d = await startDaemon(s, {
      extraFlags: ["--clique-guard", "--guard-db", proxy.via(db.url)],
      env: { STAVE_GUARD_DB_TIMEOUT_MS: "4000" },
    });
    const c = await IpcClient.connect(d.ipcPath);
    const log: SealLog = new Map();
    try {
      strictEqual(
        (await sealOnce(c, s.address, 1n, 0n, log)).outcome,
        "signed",
      );
      proxy.cut();
      const refused: string[] = [];
      for (let n = 2n; n <= 6n; n++) {
        const o = await sealOnce(c, s.address, n, 0n, log);
        strictEqual(o.outcome, "refused", `block ${n} signed with the db down`);
        refused.push(o.message!);
      }
      for (const m of refused) match(m, /guard database .* unavailable/);
      // What needs neither the guard nor storage is still served.
      const version = await c.request("account_version", []);
      strictEqual(version.error, undefined);
      const list = await c.request("account_list", []);
      deepStrictEqual(list.result, [s.address.toLowerCase()]);
      proxy.restore();
      const deadline = Date.now() + 60_000;
      let n = 7n;
      for (;;) {
        const o = await sealOnce(c, s.address, n, 0n, log);
        if (o.outcome === "signed") break;
        if (Date.now() > deadline) throw new Error(`not resumed: ${o.message}`);
        await sleep(250);
        n++;
      }
      deepStrictEqual(doubleSigned(log), []);
      deepStrictEqual([...log.keys()], [1n, n]);
      await sleep(200);
      const err = d.stderrText();
      strictEqual(err.match(/Guard database unreachable/g)?.length, 1, err);
      strictEqual(err.match(/Guard database reachable again/g)?.length, 1, err);
      ok(!err.includes(new URL(db.url).password || "\0"));
    } finally {
      c.close();
      await d.stop();
      proxy.close();
      await s.cleanup();
      await db.drop();
    }
  },
);

pgTest(
  "guard db: a database down at start-up is no start failure; sealing waits for it",
  async () => {
    const db = await createTestDb();
    const proxy = startTcpProxy();
    proxy.cut();
    const s = await setupSigner({ rulesSource: GUARD_ONLY_RULES });
    const d = await startDaemon(s, {
      extraFlags: ["--clique-guard", "--guard-db", proxy.via(db.url)],
      env: { STAVE_GUARD_DB_TIMEOUT_MS: "3000" },
    });
    const c = await IpcClient.connect(d.ipcPath);
    const log: SealLog = new Map();
    try {
      const o = await sealOnce(c, s.address, 1n, 0n, log);
      strictEqual(o.outcome, "refused");
      proxy.restore();
      const deadline = Date.now() + 60_000;
      while ((await sealOnce(c, s.address, 2n, 0n, log)).outcome !== "signed") {
        if (Date.now() > deadline) throw new Error(d.stderrText());
        await sleep(250);
      }
      strictEqual((await guardRows(db.url))[0].number, "2");
    } finally {
      c.close();
      await d.stop();
      proxy.close();
      await s.cleanup();
      await db.drop();
    }
  },
);

pgTest(
  "guard db: --guard-db <file> is refused when others can read it, used when they cannot",
  async () => {
    const db = await createTestDb();
    const s = await setupSigner({ rulesSource: GUARD_ONLY_RULES });
    const file = join(s.dirs.root, "guard-db.url");
    try {
      await Deno.writeTextFile(file, db.url + "\n", { mode: 0o644 });
      await Deno.chmod(file, 0o644);
      let failed = false;
      try {
        const d = await startDaemon(s, {
          extraFlags: ["--clique-guard", "--guard-db", file],
        });
        await d.stop();
      } catch (err) {
        failed = true;
        match((err as Error).message, /insecure file permissions/);
      }
      ok(failed, "started with a world-readable --guard-db file");
      await Deno.chmod(file, 0o600);
      const d = await startDaemon(s, {
        extraFlags: ["--clique-guard", "--guard-db", file],
      });
      const c = await IpcClient.connect(d.ipcPath);
      const log: SealLog = new Map();
      strictEqual(
        (await sealOnce(c, s.address, 1n, 0n, log)).outcome,
        "signed",
      );
      c.close();
      await d.stop();
      strictEqual((await guardRows(db.url))[0].number, "1");
    } finally {
      await s.cleanup();
      await db.drop();
    }
  },
);

Deno.test("guard db: --guard-db needs --clique-guard and a postgres:// URL", async () => {
  const s = await setupSigner({ rulesSource: GUARD_ONLY_RULES });
  try {
    for (
      const [flags, text] of [
        [["--guard-db", "postgres://u@127.0.0.1/x"], /add --clique-guard/],
        [["--clique-guard", "--guard-db", "mysql://u@h/x"], /not a postgres/],
      ] as const
    ) {
      let err = "";
      try {
        const d = await startDaemon(s, { extraFlags: [...flags] });
        await d.stop();
      } catch (e) {
        err = (e as Error).message;
      }
      match(err, text);
      match(err, /exit 78/); // EX_CONFIG: a configuration error
    }
  } finally {
    await s.cleanup();
  }
});
