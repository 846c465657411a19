/**
 * go-ethereum's "Clique signing" guide, for real: the pinned geth (v1.13.15,
 * the last release that seals Clique) runs `--signer <configdir>/clef.ipc
 * --mine` against the real stave daemon and seals a chain through it. Every
 * block's sealer is recovered independently (ethers, from the header fields
 * and the seal; and geth's `clique_getSigner`).
 */
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  type Daemon,
  GUIDE_RULES,
  IpcClient,
  sleep,
  startDaemon,
} from "../_daemon.ts";
import { ROOT, runStave, tempDirs } from "../_util.ts";
import { decodeRlp } from "ethers";
import {
  auditedSignData,
  checkSealedBlock,
  cliqueGenesis,
  gethAccountNew,
  gethBinary,
  gethInit,
  GethNode,
  GUIDE_CHAIN_ID,
  GUIDE_PASSWORD,
  type SealedBlock,
  setupGuideSigner,
  signedRlp,
} from "./_geth.ts";

const CLIQUE = "application/x-clique-header";

/** `startDaemon` options of every stave here (the guide's `--chainid 15`). */
function daemonOpts(extraFlags: string[] = []) {
  return {
    chainId: GUIDE_CHAIN_ID,
    lightkdf: false,
    stdin: "pipe" as const,
    extraFlags,
  };
}

/**
 * The `geth attach --exec` command of
 * `contrib/systemd/stave.service.d/resume-geth-sealing.conf`, with `WAIT`
 * and `GETH_IPC` filled in.
 */
async function resumeSealingCommand(ipc: string, wait: number) {
  const conf = await Deno.readTextFile(
    join(
      ROOT,
      "contrib",
      "systemd",
      "stave.service.d",
      "resume-geth-sealing.conf",
    ),
  );
  const m = conf.match(
    /^ExecStartPost=-\S+ attach --exec "([^"]+)" \$\{GETH_IPC\}$/m,
  );
  ok(m, "ExecStartPost line of resume-geth-sealing.conf");
  const js = m[1].replaceAll("${WAIT}", String(wait));
  return { cmd: gethBinary(), args: ["attach", "--exec", js, ipc] };
}

/** One folder with geth's datadir, an account and the genesis applied. */
async function gethWorld(london = false) {
  const dirs = await tempDirs();
  const datadir = join(dirs.root, "ddir");
  const address = await gethAccountNew(datadir);
  await gethInit(datadir, cliqueGenesis([address], { london }));
  return { dirs, datadir, address };
}

async function checkBlocks(
  node: GethNode,
  from: number,
  to: number,
): Promise<SealedBlock[]> {
  const out: SealedBlock[] = [];
  for (let n = from; n <= to; n++) out.push(await checkSealedBlock(node, n));
  return out;
}

/** No prompt was shown (errors are only displayed): nobody had to answer. */
function assertNoPrompt(d: Daemon): void {
  const out = d.stdoutText();
  ok(!out.includes("Approve? [y/N]"), `a prompt was shown:\n${out}`);
  ok(!/## (?!Error)/.test(out), `an input request was shown:\n${out}`);
}

Deno.test({
  name:
    "guide, quick version: geth seals >= 20 consecutive blocks through stave with clique_only.js, one account_signData per block, no prompt",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const w = await gethWorld();
    const s = await setupGuideSigner(w.datadir, w.address, {
      rules: GUIDE_RULES.cliqueOnly,
    });
    const d = await startDaemon(s, daemonOpts());
    let geth: GethNode | undefined;
    try {
      geth = await GethNode.start({
        datadir: w.datadir,
        signer: d.ipcPath,
        etherbase: w.address,
      });
      await geth.waitForBlock(20);
      // stop geth first, so no seal is in flight while the log is read
      const head = await geth.blockNumber();
      const blocks = await checkBlocks(geth, 1, head);
      await geth.stop();
      for (const b of blocks) strictEqual(b.sealer, w.address);
      const { requests, okResponses } = await auditedSignData(
        join(s.dirs.root, "audit.log"),
      );
      for (const b of blocks) {
        const rlp = signedRlp(b);
        strictEqual(
          requests.filter((r) => r.data === rlp && r.contentType === CLIQUE)
            .length,
          1,
          `block ${b.header.number}: one account_signData of its header`,
        );
      }
      // at most one more: a seal geth asked for and had not imported yet
      ok(
        requests.length === head || requests.length === head + 1,
        `${requests.length} account_signData for ${head} blocks`,
      );
      strictEqual(okResponses, requests.length, "every seal answered");
      assertNoPrompt(d);
      console.log(`guide: ${head} blocks sealed by geth through stave`);
    } finally {
      await geth?.stop();
      const st = await d.stop();
      await s.cleanup();
      await w.dirs.cleanup();
      strictEqual(st.code, 0, d.stderrText());
    }
  },
});

Deno.test({
  name:
    "guide, manual mode: no rules, `y` typed for account_list and each block (and the key password), >= 3 blocks",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const w = await gethWorld();
    const s = await setupGuideSigner(w.datadir, w.address, { vault: false });
    const d = await startDaemon(s, daemonOpts());
    let geth: GethNode | undefined;
    let answering = true;
    const answered = { approve: 0, password: 0 };
    // the person at the terminal: answers every prompt that appears
    const person = (async () => {
      let seen = 0;
      while (answering) {
        const out = d.stdoutText();
        const prompts = [
          ...out.matchAll(/Approve\? \[y\/N\]:|## Password for signing/g),
        ];
        for (const p of prompts.slice(seen)) {
          if (p[0].startsWith("Approve")) {
            await d.writeStdin("y\n");
            answered.approve++;
          } else {
            await d.writeStdin(GUIDE_PASSWORD + "\n");
            answered.password++;
          }
        }
        seen = prompts.length;
        await sleep(50);
      }
    })();
    try {
      geth = await GethNode.start({
        datadir: w.datadir,
        signer: d.ipcPath,
        etherbase: w.address,
      });
      await geth.waitForBlock(3);
      const head = await geth.blockNumber();
      for (const b of await checkBlocks(geth, 1, head)) {
        strictEqual(b.sealer, w.address);
      }
      await geth.stop();
      answering = false;
      await person;
      const out = d.stdoutText();
      ok(out.includes("Approve? [y/N]"), out);
      for (let n = 1; n <= head; n++) {
        ok(
          out.includes(`clique header ${n} [`),
          `block ${n} was shown to the person:\n${out}`,
        );
      }
      ok(answered.approve >= head + 1, `${answered.approve} y for ${head}`);
      ok(answered.password >= head, `${answered.password} passwords`);
      console.log(
        `manual: ${head} blocks, ${answered.approve} y typed, ${answered.password} passwords`,
      );
    } finally {
      answering = false;
      await person;
      await geth?.stop();
      const st = await d.stop();
      await s.cleanup();
      await w.dirs.cleanup();
      strictEqual(st.code, 0, d.stderrText());
    }
  },
});

Deno.test({
  name:
    "lastblock rule + --clique-guard across a stave restart while geth runs: geth stops sealing (go-ethereum #28075), contrib/systemd's ExecStartPost revives it, no height signed twice",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const w = await gethWorld();
    const s = await setupGuideSigner(w.datadir, w.address, {
      rules: GUIDE_RULES.cliqueLastblock,
    });
    let d = await startDaemon(s, daemonOpts(["--clique-guard"]));
    let geth: GethNode | undefined;
    try {
      geth = await GethNode.start({
        datadir: w.datadir,
        signer: d.ipcPath,
        etherbase: w.address,
      });
      await geth.waitForBlock(5);

      // 1. stave goes away (SIGTERM, as systemctl stop/restart does)
      strictEqual((await d.stop()).code, 0, d.stderrText());
      const logMark = geth.log().length;
      const failed = /Block sealing failed.*clef\.ipc/;
      for (let i = 0; !failed.test(geth.log().slice(logMark)); i++) {
        ok(
          i < 600,
          `geth did not notice the signer is gone\n${geth.logTail()}`,
        );
        await sleep(100);
      }
      const stuckAt = await geth.blockNumber();

      // 2. stave comes back (same vault: guard state and rule storage)
      d = await startDaemon(s, daemonOpts(["--clique-guard"]));
      await sleep(8_000);
      const afterWait = await geth.blockNumber();
      console.log(
        `restart: geth stopped at block ${stuckAt}; ${
          afterWait - stuckAt
        } blocks in 8 s after stave came back (go-ethereum #28075: a failed seal is not retried)`,
      );

      // the guard and the rule both remember: an old height is refused
      const old = await checkSealedBlock(geth, 3);
      const c = await IpcClient.connect(d.ipcPath);
      try {
        const r = await c.request("account_signData", [
          "application/x-clique-header",
          w.address,
          signedRlp(old),
        ]);
        ok(r.error, `an old height was signed again: ${JSON.stringify(r)}`);
      } finally {
        c.close();
      }

      // 3. what revives it without restarting geth (and so without
      // throwing away a signed block): contrib/systemd's ExecStartPost,
      // run by hand: new work for the miner once the head stood still
      const kick = await resumeSealingCommand(geth.ipcPath, 6);
      const out = await new Deno.Command(kick.cmd, {
        args: kick.args,
        stdout: "piped",
        stderr: "piped",
      }).output();
      strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
      await geth.waitForBlock(afterWait + 3);
      const head = await geth.blockNumber();
      const blocks = await checkBlocks(geth, 1, head);
      await geth.stop();
      for (const b of blocks) strictEqual(b.sealer, w.address);
      // each height asked once over both stave runs (block 3: and the
      // replay above, refused)
      const { requests } = await auditedSignData(
        join(s.dirs.root, "audit.log"),
      );
      for (const b of blocks) {
        strictEqual(
          requests.filter((r) => r.data === signedRlp(b)).length,
          b.header.number === 3n ? 2 : 1,
          `block ${b.header.number} asked once`,
        );
      }
      assertNoPrompt(d);
      console.log(`restart: ${head} blocks sealed across two stave runs`);
    } finally {
      await geth?.stop();
      const st = await d.stop();
      await s.cleanup();
      await w.dirs.cleanup();
      strictEqual(st.code, 0, d.stderrText());
    }
  },
});

Deno.test({
  name:
    "geth restarted while it holds a signed, unpublished block: with --clique-guard a single sealer stalls at that height until clique-guard-reset (then the contrib kick resumes it)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const w = await gethWorld();
    const s = await setupGuideSigner(w.datadir, w.address, {
      rules: GUIDE_RULES.cliqueOnly,
    });
    const audit = join(s.dirs.root, "audit.log");
    const signedHeights = async () =>
      (await auditedSignData(audit)).requests.map((r) =>
        Number((decodeRlp(r.data) as string[])[8])
      );
    let d = await startDaemon(s, daemonOpts(["--clique-guard"]));
    let geth: GethNode | undefined;
    const start = () =>
      GethNode.start({
        datadir: w.datadir,
        signer: d.ipcPath,
        etherbase: w.address,
      });
    try {
      geth = await start();
      await geth.waitForBlock(3);
      // stop geth while stave has signed a block geth has not published
      // (geth signs first, then waits for the block's time); retry if geth
      // was quicker
      let lost = 0;
      for (let attempt = 0; lost === 0; attempt++) {
        ok(attempt < 10, "could not stop geth with a seal pending");
        const head = await geth.blockNumber();
        const top = Math.max(...await signedHeights());
        if (top > head) {
          await geth.stop();
          // past the pending block's time, so geth's next header at that
          // height differs (a restart within the period rebuilds the same
          // header, which the guard signs again)
          await sleep(2_500);
          geth = await start();
          const after = await geth.blockNumber();
          if (after < top) lost = top;
        }
        if (lost === 0) await sleep(200);
      }
      // geth builds a new header at the lost height; the guard refuses it
      const refused =
        `clique guard: refusing to sign a second, different header at block ${lost}`;
      for (let i = 0; !d.stderrText().includes(refused); i++) {
        ok(i < 600, `no refusal at ${lost}\n${d.stderrText()}`);
        await sleep(100);
      }
      strictEqual(await geth.blockNumber(), lost - 1, "stalled");
      console.log(
        `geth restart: signed block ${lost} thrown away, sealing stalled`,
      );

      // the operator's recovery: stop stave, reset the guard, start, kick
      strictEqual((await d.stop()).code, 0, d.stderrText());
      const r = await runStave([
        "--suppress-bootwarn",
        "--configdir",
        s.configdir,
        "--signersecret",
        s.masterPasswordFile!,
        "clique-guard-reset",
        w.address,
        String(lost),
      ], { home: s.home });
      strictEqual(r.code, 0, r.stdout + r.stderr);
      d = await startDaemon(s, daemonOpts(["--clique-guard"]));
      const kick = await resumeSealingCommand(geth.ipcPath, 6);
      const out = await new Deno.Command(kick.cmd, {
        args: kick.args,
        stdout: "piped",
        stderr: "piped",
      }).output();
      strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
      await geth.waitForBlock(lost + 2);
      const blocks = await checkBlocks(geth, 1, lost + 2);
      for (const b of blocks) strictEqual(b.sealer, w.address);
      assertNoPrompt(d);
    } finally {
      await geth?.stop();
      const st = await d.stop();
      await s.cleanup();
      await w.dirs.cleanup();
      strictEqual(st.code, 0, d.stderrText());
    }
  },
});

Deno.test({
  name:
    "two sealers: two geth nodes peered on loopback, each with its own stave (--clique-guard) and key, seal one chain with in-turn and out-of-turn blocks",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dirs = await tempDirs();
    const dA = join(dirs.root, "ddirA");
    const dB = join(dirs.root, "ddirB");
    const dC = join(dirs.root, "ddirC");
    const a = await gethAccountNew(dA);
    const b = await gethAccountNew(dB);
    // a third genesis signer that never seals: with two signers Clique's
    // limit (one block in every N/2+1 = 2) forces strict alternation, so a
    // chain would hold only in-turn or only out-of-turn blocks; with three
    // the turn moves and both kinds appear.
    const idle = await gethAccountNew(dC);
    const genesis = cliqueGenesis([a, b, idle]);
    await gethInit(dA, genesis);
    await gethInit(dB, genesis);
    const sA = await setupGuideSigner(dA, a, { rules: GUIDE_RULES.cliqueOnly });
    const sB = await setupGuideSigner(dB, b, { rules: GUIDE_RULES.cliqueOnly });
    const stA = await startDaemon(sA, daemonOpts(["--clique-guard"]));
    const stB = await startDaemon(sB, daemonOpts(["--clique-guard"]));
    let gA: GethNode | undefined;
    let gB: GethNode | undefined;
    try {
      gA = await GethNode.start({
        datadir: dA,
        signer: stA.ipcPath,
        etherbase: a,
        maxPeers: 5,
        mine: false,
      });
      gB = await GethNode.start({
        datadir: dB,
        signer: stB.ipcPath,
        etherbase: b,
        maxPeers: 5,
        mine: false,
      });
      const info = await gA.call<{ enode: string }>("admin_nodeInfo");
      await gB.call("admin_addPeer", [info.enode]);
      for (
        let i = 0;
        (await gA.call<unknown[]>("admin_peers")).length === 0;
        i++
      ) {
        ok(i < 300, "the nodes did not peer");
        await sleep(100);
      }
      await gA.call("miner_start");
      await gB.call("miner_start");
      await gA.waitForBlock(24);
      await gB.waitForBlock(24);
      const blocks = await checkBlocks(gA, 1, 24);
      for (let n = 1; n <= 24; n++) {
        const other: { hash: string } = await gB.call(
          "eth_getBlockByNumber",
          ["0x" + n.toString(16), false],
        );
        strictEqual(other.hash, blocks[n - 1].block.hash, `same block ${n}`);
      }
      const by = (who: string) => blocks.filter((x) => x.sealer === who);
      ok(by(a).length > 0 && by(b).length > 0, "both sealed");
      strictEqual(by(a).length + by(b).length, blocks.length, "only A and B");
      const inTurn = blocks.filter((x) => x.difficulty === 2).length;
      const outOfTurn = blocks.filter((x) => x.difficulty === 1).length;
      ok(inTurn > 0 && outOfTurn > 0, `in turn ${inTurn}, out ${outOfTurn}`);
      // the difficulty is the one Clique prescribes for the sealer
      const signers = [a, b, idle].map((x) => x.toLowerCase()).sort();
      for (const x of blocks) {
        const turn = signers[Number(x.header.number) % 3];
        strictEqual(
          x.difficulty,
          turn === x.sealer.toLowerCase() ? 2 : 1,
          `difficulty of block ${x.header.number}`,
        );
      }
      for (const st of [stA, stB]) assertNoPrompt(st);
      console.log(
        `two sealers: 24 blocks, A ${by(a).length}, B ${
          by(b).length
        }, in turn ${inTurn}, out of turn ${outOfTurn}`,
      );
    } finally {
      await gA?.stop();
      await gB?.stop();
      const r = [await stA.stop(), await stB.stop()];
      await sA.cleanup();
      await sB.cleanup();
      await dirs.cleanup().catch(() => {});
      strictEqual(r[0].code, 0, stA.stderrText());
      strictEqual(r[1].code, 0, stB.stderrText());
    }
  },
});
