/**
 * Daemon start-up and manual approval (spec cli.md §4.4 steps 5–6,
 * ui-api.md §5): the master password piped on stdin instead of a
 * `--signersecret` file, a wrong one ends the daemon (exit 78, EX_CONFIG), and in manual
 * mode a person answering on stdin approves and types the key password.
 */
import { EXIT_CONFIG } from "../src/errors.ts";
import { ok, strictEqual } from "node:assert/strict";
import { verifyMessage } from "ethers";
import { openTestVault } from "./_util.ts";
import {
  cliqueHeader,
  cliqueRlp,
  DEFAULT_CHAIN_ID,
  GUIDE_RULES,
  hexOfText,
  IpcClient,
  KEY_PASSWORD,
  MASTER_PASSWORD,
  recoverCliqueSigner,
  setupSigner,
  sleep,
  socketAnswers,
  startDaemon,
} from "./_daemon.ts";

async function modeOf(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

Deno.test({
  name:
    "daemon takes the master password from stdin, rules then sign unattended; audit log is 0600",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesPath: GUIDE_RULES.cliqueOnly });
    const d = await startDaemon(s, {
      signerSecret: false,
      stdin: "pipe",
      wait: false,
    });
    try {
      await d.writeStdin(MASTER_PASSWORD + "\n");
      const deadline = Date.now() + 30_000;
      let c: IpcClient | undefined;
      while (!c && Date.now() < deadline) {
        c = await IpcClient.connect(d.ipcPath).catch(() => undefined);
        if (!c) await sleep(25);
      }
      ok(c, `daemon not ready\n${d.stderrText()}`);
      const h = cliqueHeader(9);
      const seal = await c.call<string>("account_signData", [
        "application/x-clique-header",
        s.address,
        cliqueRlp(h),
      ]);
      strictEqual(recoverCliqueSigner(h, seal), s.address);
      c.close();
      ok(!d.stderrText().includes(MASTER_PASSWORD), "master password logged");
      ok(!d.stdoutText().includes(MASTER_PASSWORD), "master password echoed");
      const audit = s.dirs.root + "/audit.log";
      strictEqual(await modeOf(audit), 0o600);
      const log = await Deno.readTextFile(audit);
      ok(/msg=SignData api=signer type=request/.test(log), log);
      ok(
        /msg=SignData api=signer type=response data=[0-9a-f]{130} error=<nil>/
          .test(log),
        log,
      );
    } finally {
      const st = await d.stop();
      await s.cleanup();
      strictEqual(st.code, 0, d.stderrText());
    }
  },
});

Deno.test({
  name:
    "daemon with a wrong master password (file or stdin) exits 78 without serving",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesPath: GUIDE_RULES.cliqueOnly });
    try {
      await Deno.writeTextFile(s.masterPasswordFile!, "not the password\n");
      const d1 = await startDaemon(s, { wait: false });
      const st1 = await Promise.race([
        d1.status,
        sleep(30_000).then(() => null),
      ]);
      if (!st1) await d1.kill9();
      strictEqual(st1?.code, EXIT_CONFIG, d1.stderrText());
      ok(
        d1.stderrText().includes("failed to decrypt the master seed"),
        d1.stderrText(),
      );

      const d2 = await startDaemon(s, {
        signerSecret: false,
        stdin: "pipe",
        wait: false,
      });
      await d2.writeStdin("not the password\n");
      await d2.closeStdin();
      const st2 = await Promise.race([
        d2.status,
        sleep(30_000).then(() => null),
      ]);
      if (!st2) await d2.kill9();
      strictEqual(st2?.code, EXIT_CONFIG, d2.stderrText());
    } finally {
      await s.cleanup();
    }
  },
});

Deno.test({
  name:
    "manual mode: 'y' and the key password typed on stdin sign a text message",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ vault: false });
    const d = await startDaemon(s, { stdin: "pipe" });
    try {
      const c = await IpcClient.connect(d.ipcPath);
      const pending = c.call<string>("account_signData", [
        "text/plain",
        s.address,
        hexOfText("approved by a person"),
      ]);
      // Wait for the prompt, then answer it and the password prompt.
      const deadline = Date.now() + 30_000;
      while (!d.stdoutText().includes("Approve?") && Date.now() < deadline) {
        await sleep(20);
      }
      ok(d.stdoutText().includes("Approve?"), d.stdoutText());
      await d.writeStdin("y\n" + KEY_PASSWORD + "\n");
      const sig = await pending;
      strictEqual(verifyMessage("approved by a person", sig), s.address);
      ok(!d.stdoutText().includes(KEY_PASSWORD), "key password echoed");
      c.close();
    } finally {
      const st = await d.stop();
      await s.cleanup();
      strictEqual(st.code, 0, d.stderrText());
    }
  },
});

Deno.test({
  name:
    "daemon opens every key with its stored password at start and refuses to start when one does not open (--keycheck)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesPath: GUIDE_RULES.cliqueOnly });
    try {
      // The right password: the key is opened at start (warm cache).
      const good = await startDaemon(s);
      try {
        ok(
          good.stderrText().includes("Stored passwords open their keys") &&
            good.stderrText().includes("accounts=1"),
          good.stderrText(),
        );
      } finally {
        await good.stop();
      }

      // A wrong password slipped into the vault (setpw now refuses one; an
      // older vault, or one written by Clef, may hold it).
      const vault = await openTestVault(s.configdir, MASTER_PASSWORD);
      await vault.credentials.put(s.address, "not the key password");
      const bad = await startDaemon(s, { wait: false });
      const st = await Promise.race([
        bad.status,
        sleep(60_000).then(() => null),
      ]);
      if (st === null) await bad.kill9();
      strictEqual(st?.code, EXIT_CONFIG, bad.stderrText());
      const fatal = bad.stderrText();
      ok(
        fatal.includes(
          `Fatal: the password stored for ${s.address} does not open its key file ${s.keystore}/`,
        ),
        fatal,
      );
      ok(
        fatal.includes(
          `could not decrypt key with given password; store the right one with 'stave --configdir ${s.configdir} --keystore ${s.keystore} --signersecret ${s.masterPasswordFile} --chainid ${DEFAULT_CHAIN_ID} setpw ${s.address}', or start with --keycheck=false`,
        ),
        fatal,
      );
      ok(!fatal.includes("not the key password"), "no secret in the log");
      ok(!(await socketAnswers(s.configdir + "/clef.ipc")), "no socket left");

      // --keycheck=false: starts; the wrong password shows at signing.
      const off = await startDaemon(s, { extraFlags: ["--keycheck=false"] });
      try {
        const c = await IpcClient.connect(off.ipcPath);
        try {
          await c.call("account_signData", [
            "application/x-clique-header",
            s.address,
            cliqueRlp(cliqueHeader(1)),
          ]).then(
            () => {
              throw new Error("signed with a wrong password");
            },
            (err) => ok(/could not decrypt key/.test(String(err)), String(err)),
          );
        } finally {
          c.close();
        }
      } finally {
        await off.stop();
      }
    } finally {
      await s.cleanup();
    }
  },
});
