/**
 * Plays geth sealing a Clique chain: 200 consecutive headers (pre-London,
 * then London with a base fee from block 101), each sent over IPC as geth
 * sends it (`account_signData`, `application/x-clique-header`, checksummed
 * address, `CliqueRLP` hex), each seal verified like a Clique node does:
 * 65 bytes, V in {0,1}, signer recovered from the seal hash (ethers). The
 * daemon runs the guide's stateful rule and the built-in guard.
 */
import { ok, strictEqual } from "node:assert/strict";
import {
  type CliqueHeader,
  cliqueHeader,
  cliqueRlp,
  GUIDE_RULES,
  IpcClient,
  recoverCliqueSigner,
  sealedBlockHash,
  setupSigner,
  startDaemon,
} from "./_daemon.ts";

const BLOCKS = 200;
const LONDON = 101n;

Deno.test({
  name:
    "sealing: 200 consecutive Clique headers over IPC, every seal recovers to the signer",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesPath: GUIDE_RULES.cliqueLastblock });
    const d = await startDaemon(s, {
      stdin: "null",
      extraFlags: ["--clique-guard"],
    });
    const c = await IpcClient.connect(d.ipcPath);
    try {
      // geth: version at start, then the account list.
      strictEqual(await c.call("account_version"), "6.1.0");
      ok(
        (await c.call<string[]>("account_list")).includes(
          s.address.toLowerCase(),
        ),
      );
      let parent = "0x" + "00".repeat(32);
      let baseFee = 1_000_000_000n;
      const seen = new Set<string>();
      const t0 = performance.now();
      for (let n = 1n; n <= BigInt(BLOCKS); n++) {
        const h: CliqueHeader = cliqueHeader(n, {
          parentHash: parent,
          difficulty: n % 3n === 0n ? 1n : 2n,
          gasUsed: (n * 21000n) % 30_000_000n,
          baseFee: n >= LONDON ? baseFee : undefined,
        });
        const seal = await c.call<string>("account_signData", [
          "application/x-clique-header",
          s.address,
          cliqueRlp(h),
        ]);
        strictEqual(recoverCliqueSigner(h, seal), s.address, `block ${n}`);
        ok(!seen.has(seal), `block ${n}: seal repeated`);
        seen.add(seal);
        parent = sealedBlockHash(h, seal);
        if (n >= LONDON) baseFee = baseFee * 7n / 8n + 1n;
      }
      const ms = performance.now() - t0;
      console.log(
        `${BLOCKS} seals in ${ms.toFixed(0)} ms (${
          (ms / BLOCKS).toFixed(2)
        } ms each)`,
      );
    } finally {
      c.close();
      const st = await d.stop();
      await s.cleanup();
      strictEqual(st.code, 0, d.stderrText());
    }
  },
});
