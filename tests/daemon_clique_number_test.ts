/**
 * issue 7 finding 8: a Clique header whose number does not fit in 64 bits
 * was sealed and recorded by `--clique-guard`, which then refused every
 * real height. clef (go-ethereum v1.17.3) decodes the number as `*big.Int`
 * and seals 2^64, 2^256 and 2^300 alike (recorded on the real clef); stave
 * refuses such a header with a clear error and never records it.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  APPROVE_ALL_RULES,
  cliqueHeader,
  cliqueRlp,
  IpcClient,
  recoverCliqueSigner,
  setupSigner,
  startDaemon,
} from "./_daemon.ts";

Deno.test({
  name:
    "daemon with --clique-guard refuses a block number over 64 bits and keeps sealing",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesSource: APPROVE_ALL_RULES });
    const d = await startDaemon(s, { extraFlags: ["--clique-guard"] });
    const c = await IpcClient.connect(d.ipcPath);
    const seal = (n: bigint) => {
      const h = cliqueHeader(n, { time: 1_700_000_000n });
      return {
        h,
        r: c.request("account_signData", [
          "application/x-clique-header",
          s.address,
          cliqueRlp(h),
        ]),
      };
    };
    try {
      const ten = seal(10n);
      strictEqual(
        recoverCliqueSigner(ten.h, (await ten.r).result as string),
        s.address,
      );
      for (const n of [2n ** 64n, 2n ** 256n, 2n ** 300n]) {
        deepStrictEqual((await seal(n).r).error, {
          code: -32000,
          message:
            `clique: refusing to seal block ${n}: a block number must fit in 64 bits`,
        });
      }
      // Nothing was recorded: the next real height seals.
      const eleven = seal(11n);
      const sig = (await eleven.r).result as string;
      ok(sig, "block 11 sealed");
      strictEqual(recoverCliqueSigner(eleven.h, sig), s.address);
    } finally {
      c.close();
      await d.stop();
      await s.cleanup();
    }
  },
});
