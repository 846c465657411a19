/**
 * Crash safety of Clique sealing (rules issue): with `--clique-guard` and
 * the guide's stateful rule, the daemon is killed with SIGKILL at 50
 * seeded-random moments while a "geth" seals, and restarted each time.
 * After a kill, geth does not know whether its last request was signed, so
 * it asks again for that height with a different header (and now and then
 * for an already signed height). Every returned seal is kept by height and
 * seal hash: no height may ever carry seals for two different headers.
 * Every restart must succeed (the vault and its stores still decrypt) and
 * the final state must still refuse the highest signed height.
 */
import { ok, strictEqual } from "node:assert/strict";
import {
  cliqueHeader,
  cliqueRlp,
  cliqueSealHash,
  GUIDE_RULES,
  IpcClient,
  MASTER_PASSWORD,
  recoverCliqueSigner,
  sealedBlockHash,
  seededRandom,
  setupSigner,
  sleep,
  startDaemon,
} from "./_daemon.ts";
import { openTestVault } from "./_util.ts";

const KILLS = 50;
const SEED = 0x5eed_c11e;
const MAX_KILL_DELAY_MS = 500;
/**
 * Heights the campaign must seal to mean anything. The kill moments are
 * wall-clock, so a loaded machine seals fewer per cycle: cycles go on past
 * {@linkcode KILLS} (up to 4×) until this many heights are sealed.
 */
const MIN_HEIGHTS = 100n;

Deno.test({
  name:
    "crash: 50 kill -9 during sealing never yield two different headers signed at one height",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rand = seededRandom(SEED);
    const s = await setupSigner({ rulesPath: GUIDE_RULES.cliqueLastblock });
    const opts = {
      stdin: "null" as const,
      extraFlags: ["--clique-guard"],
    };
    /** height → seal hash → seal, for every seal that came back. */
    const signed = new Map<bigint, Map<string, string>>();
    const blockHash = new Map<bigint, string>();
    let next = 1n;
    let maxSigned = 0n;
    let refusals = 0;
    let unknownOutcomes = 0;
    let variant = 0;

    const attempt = async (
      c: IpcClient,
      n: bigint,
    ): Promise<"signed" | "refused" | "lost"> => {
      const h = cliqueHeader(n, {
        parentHash: blockHash.get(n - 1n) ?? "0x" + "00".repeat(32),
        time: 1_700_000_000n + n * 15n + BigInt(variant),
      });
      const r = await c.request("account_signData", [
        "application/x-clique-header",
        s.address,
        cliqueRlp(h),
      ]);
      if (r.error?.code === -1) return "lost";
      if (r.error) return "refused";
      const seal = r.result as string;
      strictEqual(recoverCliqueSigner(h, seal), s.address, `block ${n}`);
      const byHash = signed.get(n) ?? new Map<string, string>();
      byHash.set(cliqueSealHash(h), seal);
      signed.set(n, byHash);
      if (!blockHash.has(n)) blockHash.set(n, sealedBlockHash(h, seal));
      if (n > maxSigned) maxSigned = n;
      return "signed";
    };

    const t0 = performance.now();
    let top = 0n;
    let kills = 0;
    try {
      for (
        let cycle = 0;
        cycle < KILLS || (maxSigned < MIN_HEIGHTS && cycle < 4 * KILLS);
        cycle++
      ) {
        const killDelay = Math.floor(rand() * MAX_KILL_DELAY_MS);
        const retrySigned = rand() < 0.3;
        const d = await startDaemon(s, opts);
        const c = await IpcClient.connect(d.ipcPath);
        variant++;
        const sealing = (async () => {
          if (retrySigned && maxSigned > 0n) {
            const o = await attempt(c, maxSigned);
            if (o === "refused") refusals++;
            if (o === "lost") return;
          }
          for (;;) {
            const o = await attempt(c, next);
            if (o === "lost") {
              unknownOutcomes++;
              return; // same height, new header, next cycle
            }
            if (o === "refused") refusals++;
            next++;
          }
        })();
        await sleep(killDelay);
        const st = await d.kill9();
        kills++;
        strictEqual(st.signal === null && st.code === 0, false, "not killed");
        await sealing;
        c.close();
        variant++;
      }

      // A last, clean start: the vault still opens, the state survived.
      const d = await startDaemon(s, opts);
      const c = await IpcClient.connect(d.ipcPath);
      variant++;
      strictEqual(
        await attempt(c, maxSigned),
        "refused",
        "highest height again",
      );
      strictEqual(await attempt(c, maxSigned - 1n), "refused", "lower height");
      // `next` may have been signed in the kill (its answer was lost).
      await attempt(c, next);
      top = next + 1n;
      strictEqual(await attempt(c, top), "signed", "a new height");
      c.close();
      const st = await d.stop();
      strictEqual(st.code, 0, d.stderrText());

      const vault = await openTestVault(s.configdir, MASTER_PASSWORD);
      const last = await vault.jsStorage.get("lastblock");
      strictEqual(last, String(top), "rules storage lastblock");
      const guard = await vault.config.get(`clique-guard:${s.address}`);
      ok(guard, "no guard state in the config store");
      strictEqual(JSON.parse(guard).number, String(top));
    } finally {
      await s.cleanup();
    }

    for (const [n, byHash] of signed) {
      strictEqual(
        byHash.size,
        1,
        `height ${n} signed for ${byHash.size} different headers`,
      );
    }
    const secs = (performance.now() - t0) / 1000;
    console.log(
      `${kills} kills in ${
        secs.toFixed(1)
      } s: ${signed.size} heights signed (max ${maxSigned}), ` +
        `${refusals} refusals, ${unknownOutcomes} requests lost in a kill`,
    );
    ok(maxSigned >= MIN_HEIGHTS, `only ${maxSigned} heights sealed`);
    ok(
      refusals > 0,
      "no re-request was ever refused (the test did not probe the guard)",
    );
  },
});
