/**
 * The daemon's log as an operator reads it: journald priority prefixes
 * (`<6>`) only when stderr really is the journal (systemd's
 * `JOURNAL_STREAM` names stderr's device and inode), never when the
 * service's command line sent stderr to a file.
 */
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { EXIT_CONFIG } from "../src/errors.ts";
import { denoDir, ROOT, tempDirs } from "./_util.ts";
import {
  cliqueHeader,
  cliqueRlp,
  GUIDE_RULES,
  hexOfText,
  IpcClient,
  setupSigner,
  sleep,
  startDaemon,
} from "./_daemon.ts";

/** Starts a daemon that fails fast, stderr to `file`; returns what it wrote. */
async function failingDaemon(
  file: string,
  journalStream: (file: string) => Promise<string>,
  configdir: string,
): Promise<string> {
  await Deno.writeTextFile(file, "");
  const script = `exec "$DENO" task --quiet stave --suppress-bootwarn ` +
    `--configdir "$CONFIGDIR" --rules "$CONFIGDIR/none.js" 2>>"$LOG"`;
  const out = await new Deno.Command("bash", {
    args: ["-c", script],
    cwd: ROOT,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      DENO: Deno.execPath(),
      DENO_DIR: await denoDir(),
      DENO_NO_UPDATE_CHECK: "1",
      HOME: configdir,
      CONFIGDIR: configdir,
      LOG: file,
      JOURNAL_STREAM: await journalStream(file),
    },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).output();
  strictEqual(out.code, EXIT_CONFIG);
  return await Deno.readTextFile(file);
}

Deno.test("daemon adds journald priorities only when stderr is the journal's stream", async () => {
  const t = await tempDirs();
  try {
    await Deno.mkdir(t.configdir);
    const idOf = async (f: string) => {
      const st = await Deno.stat(f);
      return `${st.dev}:${st.ino}`;
    };
    // JOURNAL_STREAM names this very file: stderr is "the journal".
    const journal = await failingDaemon(
      join(t.root, "journal.log"),
      idOf,
      t.configdir,
    );
    ok(/^<6>INFO \[/m.test(journal), journal);
    ok(journal.includes("Fatal: "), journal);

    // systemd set JOURNAL_STREAM, but the command line sent stderr to a
    // file: plain lines.
    const other = join(t.root, "other");
    await Deno.writeTextFile(other, "");
    const plain = await failingDaemon(
      join(t.root, "plain.log"),
      () => idOf(other),
      t.configdir,
    );
    ok(/^INFO \[/m.test(plain), plain);
    ok(!/^<\d>/m.test(plain), plain);
  } finally {
    await t.cleanup();
  }
});

/** The first stderr line containing every one of `parts`, or undefined. */
function lineWith(text: string, ...parts: string[]): string | undefined {
  return text.split("\n").find((l) => parts.every((p) => l.includes(p)));
}

Deno.test({
  name:
    "daemon log lines name the method, request id, account, block number and who denied",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesPath: GUIDE_RULES.cliqueOnly });
    const d = await startDaemon(s, {
      extraFlags: ["--clique-guard", "--loglevel", "4"],
    });
    try {
      const c = await IpcClient.connect(d.ipcPath);
      try {
        // ids 1, 2, 3 in order: a Clique header (the rule approves), a text
        // message (the rule rejects), the same height again (the guard).
        await c.call("account_signData", [
          "application/x-clique-header",
          s.address,
          cliqueRlp(cliqueHeader(7)),
        ]);
        await c.call("account_signData", [
          "text/plain",
          s.address,
          hexOfText("hello"),
        ]).catch(() => {});
        await c.call("account_signData", [
          "application/x-clique-header",
          s.address,
          cliqueRlp(cliqueHeader(7, { time: 99n })),
        ]).catch(() => {});
      } finally {
        c.close();
      }
      const log = d.stderrText();
      const call = (id: number) =>
        `method=account_signData reqid=${id} account=${s.address}`;
      ok(lineWith(log, "Op approved", call(1), "number=7"), log);
      ok(lineWith(log, "Op rejected", call(2)), log);
      ok(
        lineWith(
          log,
          "Served account_signData",
          `reqid=2 account=${s.address} by=rule`,
          'err="request denied"',
        ),
        log,
      );
      ok(
        lineWith(
          log,
          "Served account_signData",
          `reqid=3 account=${s.address} number=7 by="clique guard"`,
          "refusing to sign a second, different header at block 7",
        ),
        log,
      );
    } finally {
      await d.stop();
      await s.cleanup();
    }
  },
});

Deno.test({
  name: "manual mode: a person's 'n' and the end of input are named as such",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ vault: false });
    const d = await startDaemon(s, { stdin: "pipe" });
    try {
      const c = await IpcClient.connect(d.ipcPath);
      try {
        const asked = c.call("account_signData", [
          "text/plain",
          s.address,
          hexOfText("no"),
        ]).catch(() => {});
        for (let i = 0; i < 600 && !d.stdoutText().includes("Approve?"); i++) {
          await sleep(50);
        }
        await d.writeStdin("n\n");
        await asked;
        await d.closeStdin();
        await c.call("account_signData", [
          "text/plain",
          s.address,
          hexOfText("eof"),
        ]).catch(() => {});
      } finally {
        c.close();
      }
      const log = d.stderrText();
      ok(
        lineWith(log, "Served account_signData", "reqid=1", "by=operator"),
        log,
      );
      ok(
        lineWith(
          log,
          "Served account_signData",
          "reqid=2",
          'by="end of input"',
        ),
        log,
      );
    } finally {
      await d.stop();
      await s.cleanup();
    }
  },
});
