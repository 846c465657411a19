/**
 * Cross-process vault locking (issue 7, finding 1): `stave attest` and
 * `stave setpw` rewrite the vault's stores while the daemon seals with
 * `--clique-guard`, whose record lives in the same `config.json`. Without a
 * lock shared by the processes, a writer that read the file before a seal
 * writes the older guard record back, and a re-sent header at a signed
 * height is then signed a second time.
 *
 * The daemon runs the guide's `clique_only.js` (no rule state), so the guard
 * alone stands between a re-sent header and a second signature. A client
 * seals increasing heights and, after each, re-sends the height just
 * signed and the one before it with different headers (both must be
 * refused); `attest` and `setpw` run in loops on the same vault; a third
 * loop reads the guard record and checks it never falls below a height
 * whose seal had already come back.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  cliqueHeader,
  cliqueRlp,
  cliqueSealHash,
  GUIDE_RULES,
  IpcClient,
  KEY_PASSWORD,
  MASTER_PASSWORD,
  recoverCliqueSigner,
  setupSigner,
  sleep,
  startDaemon,
} from "./_daemon.ts";
import { lines, openTestVault, runStave } from "./_util.ts";

/** Runs of each writer (attest, setpw) the sealing must overlap. */
const WRITER_RUNS = 20;
/** Bound of the whole test; only catches a hang. */
const DEADLINE_MS = 240_000;

Deno.test({
  name:
    "vault lock: attest and setpw beside a guarded daemon never let a height be signed for two headers",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesPath: GUIDE_RULES.cliqueOnly });
    const d = await startDaemon(s, { extraFlags: ["--clique-guard"] });
    const c = await IpcClient.connect(d.ipcPath);
    const guardKey = `clique-guard:${s.address}`;
    const deadline = Date.now() + DEADLINE_MS;
    let stop = false;
    const writerFailures: string[] = [];
    const runs = { attest: 0, setpw: 0 };

    const writer = async (
      what: "attest" | "setpw",
      args: string[],
      stdin: string,
    ) => {
      while (!stop && Date.now() < deadline) {
        const r = await runStave(
          ["--suppress-bootwarn", what, "--configdir", s.configdir, ...args],
          { stdin, home: s.home },
        );
        if (r.code !== 0) writerFailures.push(`${what}: ${r.stderr}`);
        runs[what]++;
      }
    };

    /** height → seal hashes signed at that height. */
    const signed = new Map<bigint, Set<string>>();
    /** Highest height whose seal came back. */
    let maxSigned = 0n;
    let variant = 0;
    let regressions = 0;
    let guardReads = 0;
    const seal = async (n: bigint): Promise<boolean> => {
      const h = cliqueHeader(n, { time: 1_700_000_000n + BigInt(variant++) });
      const r = await c.request("account_signData", [
        "application/x-clique-header",
        s.address,
        cliqueRlp(h),
      ]);
      if (r.error) return false;
      strictEqual(recoverCliqueSigner(h, r.result as string), s.address);
      const set = signed.get(n) ?? new Set<string>();
      set.add(cliqueSealHash(h));
      signed.set(n, set);
      if (n > maxSigned) maxSigned = n;
      return true;
    };

    const watcher = async () => {
      const vault = await openTestVault(s.configdir, MASTER_PASSWORD);
      while (!stop && Date.now() < deadline) {
        const floor = maxSigned;
        const text = await vault.config.get(guardKey);
        guardReads++;
        const number = text === undefined
          ? 0n
          : BigInt(JSON.parse(text).number);
        if (number < floor) regressions++;
        await sleep(2);
      }
    };

    let firstRefused = 0;
    const sealer = async () => {
      for (let n = 1n; !stop && Date.now() < deadline; n++) {
        if (!await seal(n)) firstRefused++;
        await seal(n); // a second, different header at the height just signed
        if (n > 1n) await seal(n - 1n); // and one below it
      }
    };

    try {
      const sealing = sealer();
      const watching = watcher();
      const writers = Promise.all([
        writer("attest", [s.rulesPath!], lines(MASTER_PASSWORD)),
        writer(
          "setpw",
          [s.address],
          lines(KEY_PASSWORD, KEY_PASSWORD, MASTER_PASSWORD),
        ),
      ]);
      while (
        Date.now() < deadline &&
        (runs.attest < WRITER_RUNS || runs.setpw < WRITER_RUNS)
      ) {
        await sleep(100);
      }
      stop = true;
      await Promise.all([sealing, watching, writers]);
      c.close();
      const st = await d.stop();
      strictEqual(st.code, 0, d.stderrText());
    } finally {
      stop = true;
      await d.kill9().catch(() => {});
      await s.cleanup();
    }

    const doubles = [...signed].filter(([, set]) => set.size > 1).map((
      [n],
    ) => n);
    console.log(
      `${maxSigned} heights sealed beside ${runs.attest} attest and ${runs.setpw} setpw runs: ` +
        `${doubles.length} signed twice, ${regressions} guard regressions in ${guardReads} reads`,
    );
    deepStrictEqual(writerFailures, [], "a vault writer failed");
    ok(runs.attest >= WRITER_RUNS && runs.setpw >= WRITER_RUNS, "deadline hit");
    deepStrictEqual(doubles, [], "heights signed for two different headers");
    strictEqual(regressions, 0, "the guard record moved backwards");
    strictEqual(firstRefused, 0, "a first header at a new height was refused");
    ok(maxSigned >= 20n, `only ${maxSigned} heights sealed`);
  },
});

Deno.test("vault lock: attest and setpw remove the temp files a killed write left", async () => {
  const s = await setupSigner({ rulesPath: GUIDE_RULES.cliqueOnly });
  try {
    const { dir } = await openTestVault(s.configdir, MASTER_PASSWORD);
    const stale = [
      ".config.json.tmp0123456789abcdef",
      ".credentials.json.tmpfedcba9876543210",
    ];
    for (const n of stale) await Deno.writeTextFile(join(dir, n), "{");
    const temps = async () =>
      (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name)
        .filter((n) => n.includes(".tmp")).sort();
    const attest = await runStave(
      [
        "--suppress-bootwarn",
        "attest",
        "--configdir",
        s.configdir,
        s.rulesPath!,
      ],
      { stdin: lines(MASTER_PASSWORD), home: s.home },
    );
    strictEqual(attest.code, 0, attest.stderr);
    deepStrictEqual(await temps(), [stale[1]]);
    const setpw = await runStave(
      ["--suppress-bootwarn", "setpw", "--configdir", s.configdir, s.address],
      {
        stdin: lines(KEY_PASSWORD, KEY_PASSWORD, MASTER_PASSWORD),
        home: s.home,
      },
    );
    strictEqual(setpw.code, 0, setpw.stderr);
    deepStrictEqual(await temps(), []);
  } finally {
    await s.cleanup();
  }
});
