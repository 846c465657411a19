/**
 * Paths the daemon and the vault writers trust (issue 7, finding 8): a
 * config folder or IPC folder that group or others can write is refused
 * before anything is asked or opened (anyone who can write it can replace
 * the socket or the vault files), and `--auditlog` is never opened through
 * a symbolic link. clef checks neither.
 */
import { EXIT_CONFIG } from "../src/errors.ts";
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  type Daemon,
  GUIDE_RULES,
  MASTER_PASSWORD,
  setupSigner,
  startDaemon,
} from "./_daemon.ts";
import { lines, runStave } from "./_util.ts";

const unix = Deno.build.os !== "windows";

/** The exit status of a daemon that must refuse to start (60 s bound, hangs only). */
async function refusal(d: Daemon): Promise<Deno.CommandStatus> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"running">((r) => {
    timer = setTimeout(() => r("running"), 60_000);
  });
  const st = await Promise.race([d.status, late]);
  clearTimeout(timer);
  if (st === "running") {
    await d.kill9();
    throw new Error(`the daemon started and kept running\n${d.stderrText()}`);
  }
  return st;
}

Deno.test({
  name:
    "daemon refuses a config folder writable by group, naming path, mode and the chmod fix",
  ignore: !unix,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesPath: GUIDE_RULES.cliqueOnly });
    try {
      await Deno.chmod(s.configdir, 0o770);
      const d = await startDaemon(s, { wait: false });
      const st = await refusal(d);
      strictEqual(st.code, EXIT_CONFIG, d.stderrText());
      ok(
        d.stderrText().includes(
          `Fatal: config folder ${s.configdir} is writable by group or others (drwxrwx---): anyone who can write it can replace the files in it; run 'chmod go-w ${s.configdir}'`,
        ),
        d.stderrText(),
      );
      ok(!d.stderrText().includes("IPC endpoint opened"), d.stderrText());
      // The fix the message names works.
      await Deno.chmod(s.configdir, 0o750);
      const ok2 = await startDaemon(s);
      strictEqual((await ok2.stop()).code, 0, ok2.stderrText());
    } finally {
      await s.cleanup();
    }
  },
});

Deno.test({
  name:
    "daemon refuses an --ipcpath folder others can write (or one below such a folder)",
  ignore: !unix,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesPath: GUIDE_RULES.cliqueOnly });
    try {
      const open = join(s.dirs.root, "shared");
      await Deno.mkdir(open);
      await Deno.chmod(open, 0o777);
      for (const [ipc, bad] of [[open, open], [join(open, "ipc"), open]]) {
        const d = await startDaemon(s, {
          wait: false,
          extraFlags: ["--ipcpath", ipc],
        });
        const st = await refusal(d);
        strictEqual(st.code, EXIT_CONFIG, d.stderrText());
        const what = ipc === bad
          ? `IPC folder ${ipc}`
          : `folder ${bad} (above the IPC folder ${ipc})`;
        ok(
          d.stderrText().includes(
            `Fatal: ${what} is writable by group or others (drwxrwxrwx)`,
          ),
          d.stderrText(),
        );
      }
      await Deno.lstat(join(open, "ipc")).then(
        () => ok(false, "the IPC folder was created"),
        () => {},
      );
    } finally {
      await s.cleanup();
    }
  },
});

Deno.test({
  name:
    "attest refuses a config folder others can write, before writing anything",
  ignore: !unix,
  async fn() {
    const s = await setupSigner({ rulesPath: GUIDE_RULES.cliqueOnly });
    try {
      await Deno.chmod(s.configdir, 0o707);
      const r = await runStave([
        "--suppress-bootwarn",
        "attest",
        "--configdir",
        s.configdir,
        "ab".repeat(32),
      ], { stdin: lines(MASTER_PASSWORD), home: s.home });
      strictEqual(r.code, 1, r.stderr);
      ok(
        r.stderr.includes(
          `config folder ${s.configdir} is writable by group or others (drwx---rwx)`,
        ) && r.stderr.includes(`run 'chmod go-w ${s.configdir}'`),
        r.stderr,
      );
      ok(!r.stderr.includes("Ruleset attestation updated"), r.stderr);
    } finally {
      await s.cleanup();
    }
  },
});

Deno.test({
  name:
    "daemon refuses an --auditlog that is a symbolic link and writes nothing through it",
  ignore: !unix,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesPath: GUIDE_RULES.cliqueOnly });
    try {
      const audit = join(s.dirs.root, "audit.log"); // the harness's --auditlog
      const victim = join(s.dirs.root, "victim");
      await Deno.writeTextFile(victim, "keep\n");
      for (const target of [victim, join(s.dirs.root, "not-there")]) {
        await Deno.remove(audit).catch(() => {});
        await Deno.symlink(target, audit);
        const d = await startDaemon(s, { wait: false });
        const st = await refusal(d);
        strictEqual(st.code, EXIT_CONFIG, d.stderrText());
        ok(
          d.stderrText().includes(
            `Fatal: ${audit} is a symbolic link; stave does not follow it: name the file itself`,
          ),
          d.stderrText(),
        );
      }
      strictEqual(await Deno.readTextFile(victim), "keep\n");
      await Deno.lstat(join(s.dirs.root, "not-there")).then(
        () => ok(false, "a file was created through the link"),
        () => {},
      );
    } finally {
      await s.cleanup();
    }
  },
});
