/**
 * geth re-seals a height when transactions arrive during the Clique period
 * (its `--miner.recommit` timer, 2 s by default): it interrupts the seal it
 * had signed and asks the signer again with a different header at the same
 * height. `--clique-guard` (like the guide's clique_lastblock.js) refuses
 * that second header, and a single sealer stops. With `--miner.recommit`
 * above the period the timer never fires inside a period, and the guard
 * and geth get along. The pinned geth, real stave, a 6 s period.
 */
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { sleep, startDaemon } from "../_daemon.ts";
import { tempDirs } from "../_util.ts";
import {
  cliqueGenesis,
  gethAccountNew,
  gethInit,
  GethNode,
  GUIDE_CHAIN_ID,
  setupGuideSigner,
} from "./_geth.ts";

const RULES = `function ApproveListing(){ return "Approve" }
function ApproveSignData(r){
  return r.content_type == "application/x-clique-header" ? "Approve" : "Reject"
}
function ApproveTx(r){ return "Approve" }
`;
const REFUSED =
  /clique guard: refusing to sign a second, different header at block (\d+)/;

async function run(recommit: string | null) {
  const dirs = await tempDirs();
  const datadir = join(dirs.root, "ddir");
  const address = await gethAccountNew(datadir);
  await gethInit(
    datadir,
    cliqueGenesis([address], { period: 6, london: true }),
  );
  const rulesPath = join(dirs.root, "rules.js");
  await Deno.writeTextFile(rulesPath, RULES);
  const s = await setupGuideSigner(datadir, address, { rules: rulesPath });
  const d = await startDaemon(s, {
    chainId: GUIDE_CHAIN_ID,
    lightkdf: false,
    stdin: "pipe",
    extraFlags: ["--clique-guard"],
  });
  let g: GethNode | undefined;
  try {
    g = await GethNode.start({
      datadir,
      signer: d.ipcPath,
      etherbase: address,
      extra: recommit ? ["--miner.recommit", recommit] : [],
    });
    await g.waitForBlock(2);
    // right after a new head: the next block is signed and waiting
    const h = await g.blockNumber();
    for (let i = 0; await g.blockNumber() === h; i++) {
      ok(i < 600, "no new block");
      await sleep(50);
    }
    const tx = await g.call<string>("eth_sendTransaction", [{
      from: address,
      to: address,
      value: "0x1",
      gas: "0x5208",
      maxFeePerGas: "0x77359400",
      maxPriorityFeePerGas: "0x1",
    }]);
    for (let i = 0;; i++) {
      ok(i < 1200, `neither mined nor refused\n${g.logTail()}`);
      const m = d.stderrText().match(REFUSED);
      if (m) return { refusedAt: Number(m[1]), head: await g.blockNumber() };
      const rc = await g.call<{ from: string } | null>(
        "eth_getTransactionReceipt",
        [tx],
      );
      if (rc) return { refusedAt: null, head: await g.blockNumber() };
      await sleep(100);
    }
  } finally {
    await g?.stop();
    const st = await d.stop();
    await s.cleanup();
    await dirs.cleanup().catch(() => {});
    strictEqual(st.code, 0, d.stderrText());
  }
}

Deno.test({
  name:
    "a transaction inside the Clique period: geth's default recommit re-seals the height and --clique-guard refuses it; --miner.recommit above the period avoids it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dflt = await run(null);
    ok(dflt.refusedAt !== null, "geth asked for a second header");
    strictEqual(dflt.head, dflt.refusedAt - 1, "that height is not sealed");
    const long = await run("20s");
    strictEqual(long.refusedAt, null, "no second header: the tx was mined");
    console.log(
      `resubmit: default recommit, second header refused at block ${dflt.refusedAt}; --miner.recommit 20s, mined by block ${long.head}`,
    );
  },
});
