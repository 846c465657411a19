/**
 * The pinned geth with `--signer` on a London Clique chain: blocks with a
 * base fee are sealed through stave and accepted by a second geth node that
 * verifies them; geth's `eth_sendTransaction` and `eth_signTransaction` reach
 * stave's `account_signTransaction`, and with a rule approving them, legacy,
 * access-list and EIP-1559 transactions are signed, mined and show the
 * account as sender (receipts, and ethers recovering the raw transactions).
 */
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { getAddress, Transaction } from "ethers";
import { sleep, startDaemon } from "../_daemon.ts";
import { tempDirs } from "../_util.ts";
import {
  checkSealedBlock,
  cliqueGenesis,
  gethAccountNew,
  gethInit,
  GethNode,
  GUIDE_CHAIN_ID,
  setupGuideSigner,
} from "./_geth.ts";

/** The guide's clique_only.js plus an `ApproveTx` that approves. */
const RULES = `function OnSignerStartup(info){}
function ApproveListing(){ return "Approve" }
function ApproveSignData(r){
  if (r.content_type == "application/x-clique-header"){
    for (var i = 0; i < r.messages.length; i++){
      var msg = r.messages[i]
      if (msg.name == "Clique header" && msg.type == "clique") return "Approve"
    }
  }
  return "Reject"
}
function ApproveTx(r){ return "Approve" }
function OnApprovedTx(r){}
`;

const TO = getAddress("0xd9c9cd5f6779558b6e0ed4e6acf6b1947e7fa1f3");
const GWEI = 1_000_000_000n;
const hex = (n: bigint | number) => "0x" + BigInt(n).toString(16);

interface Receipt {
  from: string;
  to: string;
  status: string;
  type: string;
  blockNumber: string;
}

async function receipt(node: GethNode, hash: string): Promise<Receipt> {
  for (let i = 0;; i++) {
    const r = await node.call<Receipt | null>("eth_getTransactionReceipt", [
      hash,
    ]);
    if (r) return r;
    ok(i < 1200, `no receipt for ${hash}\n${node.logTail()}`);
    await sleep(100);
  }
}

Deno.test({
  name:
    "London Clique chain through stave: base-fee blocks sealed and accepted by a verifying peer; legacy, access-list and EIP-1559 transactions via eth_sendTransaction/eth_signTransaction",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dirs = await tempDirs();
    const datadir = join(dirs.root, "ddir");
    const followerDir = join(dirs.root, "follower");
    const address = await gethAccountNew(datadir);
    const genesis = cliqueGenesis([address], { london: true });
    await gethInit(datadir, genesis);
    await gethInit(followerDir, genesis);
    const rulesPath = join(dirs.root, "rules.js");
    await Deno.writeTextFile(rulesPath, RULES);
    const s = await setupGuideSigner(datadir, address, { rules: rulesPath });
    const d = await startDaemon(s, {
      chainId: GUIDE_CHAIN_ID,
      lightkdf: false,
      stdin: "pipe",
      extraFlags: ["--clique-guard"],
    });
    let geth: GethNode | undefined;
    let follower: GethNode | undefined;
    try {
      geth = await GethNode.start({
        datadir,
        signer: d.ipcPath,
        etherbase: address,
        maxPeers: 5,
      });
      follower = await GethNode.start({
        datadir: followerDir,
        maxPeers: 5,
        mine: false,
      });
      const info = await geth.call<{ enode: string }>("admin_nodeInfo");
      await follower.call("admin_addPeer", [info.enode]);
      const node = geth;

      await t.step(
        "blocks carry a base fee, sealed by the account",
        async () => {
          await node.waitForBlock(5);
          for (let n = 1; n <= 5; n++) {
            const b = await checkSealedBlock(node, n);
            ok(b.block.baseFeePerGas !== undefined, `block ${n} base fee`);
            strictEqual(b.sealer, address);
          }
        },
      );

      const sent: { hash: string; type: number }[] = [];
      await t.step(
        "eth_sendTransaction: legacy, access list, EIP-1559",
        async () => {
          const base = {
            from: address,
            to: TO,
            gas: hex(30_000),
            value: "0x1",
          };
          const legacy = { ...base, gasPrice: hex(2n * GWEI) };
          const accessList = {
            ...legacy,
            accessList: [{
              address: TO,
              storageKeys: ["0x" + "00".repeat(31) + "01"],
            }],
          };
          const dynamic = {
            ...base,
            maxFeePerGas: hex(3n * GWEI),
            maxPriorityFeePerGas: hex(GWEI),
          };
          for (
            const [tx, type] of [[legacy, 0], [accessList, 1], [
              dynamic,
              2,
            ]] as const
          ) {
            const hash = await node.call<string>("eth_sendTransaction", [tx]);
            sent.push({ hash, type });
          }
        },
      );

      await t.step(
        "eth_signTransaction (EIP-1559), then eth_sendRawTransaction",
        async () => {
          const nonce = await node.call<string>("eth_getTransactionCount", [
            address,
            "pending",
          ]);
          const r = await node.call<{ raw: string; tx: { hash: string } }>(
            "eth_signTransaction",
            [{
              from: address,
              to: TO,
              gas: hex(21_000),
              value: "0x2",
              nonce,
              maxFeePerGas: hex(3n * GWEI),
              maxPriorityFeePerGas: hex(GWEI),
            }],
          );
          const parsed = Transaction.from(r.raw);
          strictEqual(parsed.from, address, "ethers recovers the account");
          strictEqual(parsed.chainId, BigInt(GUIDE_CHAIN_ID));
          const hash = await node.call<string>("eth_sendRawTransaction", [
            r.raw,
          ]);
          strictEqual(hash, r.tx.hash);
          sent.push({ hash, type: 2 });
        },
      );

      await t.step("mined, receipts show the account as sender", async () => {
        for (const tx of sent) {
          const rc = await receipt(node, tx.hash);
          strictEqual(getAddress(rc.from), address, `receipt.from ${tx.hash}`);
          strictEqual(rc.status, "0x1");
          strictEqual(Number(rc.type), tx.type, `type of ${tx.hash}`);
          const raw = await node.call<string>("eth_getRawTransactionByHash", [
            tx.hash,
          ]);
          const p = Transaction.from(raw);
          strictEqual(p.type, tx.type);
          strictEqual(p.from, address, `ethers recovers ${tx.hash}`);
          const b = await checkSealedBlock(node, Number(rc.blockNumber));
          strictEqual(b.sealer, address);
        }
      });

      await t.step(
        "audit log: four account_signTransaction, each answered",
        async () => {
          const text = await Deno.readTextFile(join(s.dirs.root, "audit.log"));
          const req = text.split("\n").filter((l) =>
            l.includes(" msg=SignTransaction ") && l.includes(" type=request ")
          );
          const res = text.split("\n").filter((l) =>
            l.includes(" msg=SignTransaction ") &&
            l.includes(" type=response ") &&
            l.endsWith(" error=<nil>")
          );
          strictEqual(req.length, 4);
          strictEqual(res.length, 4);
        },
      );

      await t.step("a verifying peer imports the chain", async () => {
        const head = await node.blockNumber();
        await follower!.waitForBlock(head);
        for (const n of [1, head]) {
          const a = await node.call<{ hash: string }>("eth_getBlockByNumber", [
            hex(n),
            false,
          ]);
          const b = await follower!.call<{ hash: string }>(
            "eth_getBlockByNumber",
            [hex(n), false],
          );
          strictEqual(b.hash, a.hash, `block ${n} on the follower`);
        }
        console.log(
          `london: ${head} blocks with a base fee, ${sent.length} transactions`,
        );
      });
      const out = d.stdoutText();
      ok(!out.includes("Approve? [y/N]"), out);
    } finally {
      await follower?.stop();
      await geth?.stop();
      const st = await d.stop();
      await s.cleanup();
      await dirs.cleanup().catch(() => {});
      strictEqual(st.code, 0, d.stderrText());
    }
  },
});
