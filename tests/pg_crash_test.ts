/**
 * Kill -9 campaign of `--guard-db` (issue 12): two daemons with one key
 * and one PostgreSQL database seal side by side, each with two clients
 * racing every height with different headers; at seeded-random moments
 * one of them (chosen at random) is killed with SIGKILL and restarted.
 * After a kill, "geth" does not know whether its last request was signed
 * and asks again with another header, now and then for a height already
 * signed. Every seal that came back is kept: no height may carry seals of
 * two headers, and the database's record must never fall below the
 * highest seal that came back (no guard state lost), checked after every
 * kill and at the end.
 *
 * `STAVE_PG_KILLS=<n>` sets the number of kills (default 20, the CI
 * budget); the campaign is `STAVE_PG_KILLS=200`.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import postgres from "postgres";
import {
  type Daemon,
  IpcClient,
  seededRandom,
  setupSigner,
  type SignerSetup,
  sleep,
  startDaemon,
} from "./_daemon.ts";
import {
  cloneSetup,
  doubleSigned,
  GUARD_ONLY_RULES,
  type SealLog,
  sealOnce,
} from "./_pg_ha.ts";
import { createTestDb, PG_SKIP } from "./_pg.ts";

const KILLS = Number(Deno.env.get("STAVE_PG_KILLS") ?? 20);
const SEED = 0x96_ca11;
const MAX_KILL_DELAY_MS = 800;

Deno.test({
  name:
    "guard db: SIGKILLs of either of two daemons while sealing lose no guard state and never double-sign",
  ignore: PG_SKIP !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rand = seededRandom(SEED);
    const db = await createTestDb();
    const a = await setupSigner({ rulesSource: GUARD_ONLY_RULES });
    const b = await cloneSetup(a);
    const setups: SignerSetup[] = [a, b];
    const opts = {
      extraFlags: ["--clique-guard", "--guard-db", db.url],
    };
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    const record = async (): Promise<bigint> => {
      const rows = await sql`SELECT number::text AS n, seal_hash
        FROM stave_clique_guard`;
      return rows.length === 0 ? 0n : BigInt(rows[0].n);
    };
    const log: SealLog = new Map();
    let maxSigned = 0n;
    let next = 1n;
    let variant = 0n;
    let kills = 0;
    let seals = 0;
    let refusals = 0;
    let lost = 0;
    let stateLost = 0;
    const daemons: (Daemon | undefined)[] = [undefined, undefined];
    const start = async (i: number) => {
      daemons[i] = await startDaemon(setups[i], opts);
    };
    /** One sealer per daemon: two clients race each height. */
    const sealer = async (i: number, stop: () => boolean) => {
      const d = daemons[i]!;
      const cs = [
        await IpcClient.connect(d.ipcPath),
        await IpcClient.connect(d.ipcPath),
      ];
      try {
        while (!stop()) {
          const n = rand() < 0.2 && maxSigned > 0n ? maxSigned : next;
          const os = await Promise.all(
            cs.map((c) => sealOnce(c, a.address, n, variant++, log)),
          );
          for (const o of os) {
            if (o.outcome === "signed") {
              seals++;
              if (n > maxSigned) maxSigned = n;
            } else if (o.outcome === "refused") refusals++;
            else lost++;
          }
          if (os.some((o) => o.outcome === "lost")) return;
          if (n === next) next++;
        }
      } finally {
        for (const c of cs) c.close();
      }
    };
    const t0 = performance.now();
    try {
      await Promise.all([start(0), start(1)]);
      while (kills < KILLS) {
        const victim = rand() < 0.5 ? 0 : 1;
        let stopOther = false;
        const other = 1 - victim;
        const seen = seals;
        const runs = [
          sealer(victim, () => false),
          sealer(other, () => stopOther),
        ];
        // Kill while sealing runs, not while a daemon warms up.
        const warm = Date.now() + 30_000;
        while (seals === seen && Date.now() < warm) await sleep(5);
        await sleep(Math.floor(rand() * MAX_KILL_DELAY_MS));
        const floor = maxSigned;
        const st = await daemons[victim]!.kill9();
        strictEqual(st.signal === null && st.code === 0, false, "not killed");
        kills++;
        stopOther = true;
        await Promise.all(runs);
        if (await record() < floor) stateLost++;
        await start(victim);
      }
    } finally {
      for (const d of daemons) await d?.stop().catch(() => {});
    }
    const secs = (performance.now() - t0) / 1000;
    try {
      deepStrictEqual(doubleSigned(log), []);
      strictEqual(stateLost, 0, "the record fell below a returned seal");
      ok(await record() >= maxSigned);
      ok(seals > kills, `${seals} seals for ${kills} kills`);
      // A restarted pair still refuses the highest height with a new header.
      const d = await startDaemon(a, opts);
      const c = await IpcClient.connect(d.ipcPath);
      const o = await sealOnce(c, a.address, maxSigned, 10n ** 9n, log);
      c.close();
      await d.stop();
      strictEqual(o.outcome, "refused");
      console.log(
        `pg kill campaign: ${kills} kills, ${seals} seals, ${refusals} refusals, ${lost} lost answers, ${maxSigned} heights, ${
          secs.toFixed(0)
        } s`,
      );
    } finally {
      await sql.end();
      await a.cleanup();
      await b.cleanup();
      await db.drop();
    }
  },
});
