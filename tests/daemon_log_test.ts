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
