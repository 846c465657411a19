/**
 * Black-box tests of `stave init` (spec cli.md §4.1).
 */
import { strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { decryptMasterSeed } from "../src/vault/master_seed.ts";
import {
  lines,
  modeOf,
  runStave,
  tempDirs,
  withoutLogLines,
  writeSeed,
} from "./_util.ts";

const MASTER = "my master password";

const HEADING =
  "The master seed of clef will be locked with a password.\nPlease specify a password. Do not forget this password!\n";

const NOTICE = `
This is required to be able to store credentials, such as:
* Passwords for keystores (used by rule engine)
* Storage for JavaScript auto-signing rules
* Hash of JavaScript rule-file

You should treat 'masterseed.json' with utmost secrecy and make a backup of it!
* The password is necessary but not enough, you need to back up the master seed too!
* The master seed does not contain your accounts, those need to be backed up separately!

`;

Deno.test("stave init writes a 0400 master seed in a 0700 configdir", async () => {
  const t = await tempDirs();
  try {
    const r = await runStave(
      ["--suppress-bootwarn", "--lightkdf", "init", "--configdir", t.configdir],
      { stdin: lines(MASTER, MASTER), home: t.home },
    );
    const seedPath = join(t.configdir, "masterseed.json");
    strictEqual(r.stderr, "");
    strictEqual(r.code, 0);
    strictEqual(
      r.stdout,
      HEADING +
        "!! Unsupported terminal, password will be echoed.\n" +
        "Password: \nRepeat password: \n\n" +
        `A master seed has been generated into ${seedPath}\n` + NOTICE,
    );
    strictEqual(await modeOf(t.configdir), 0o700);
    strictEqual(await modeOf(seedPath), 0o400);
    const text = await Deno.readTextFile(seedPath);
    const params = JSON.parse(text).params;
    strictEqual(params.kdfparams.n, 4096);
    strictEqual(params.kdfparams.p, 6);
    const seed = await decryptMasterSeed(text, MASTER);
    strictEqual(seed.length, 256);
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave init defaults to $HOME/.clef and counts --lightkdf after the command as unknown", async () => {
  const t = await tempDirs();
  try {
    const r = await runStave(["--suppress-bootwarn", "--lightkdf", "init"], {
      stdin: lines(MASTER, MASTER),
      home: t.home,
    });
    strictEqual(r.code, 0);
    strictEqual(await modeOf(join(t.home, ".clef", "masterseed.json")), 0o400);
    const bad = await runStave(["--suppress-bootwarn", "init", "--lightkdf"], {
      home: t.home,
    });
    strictEqual(bad.code, 1);
    strictEqual(bad.stdout, "");
    strictEqual(
      bad.stderr.startsWith(
        "Incorrect Usage: flag provided but not defined: -lightkdf\n\n",
      ),
      true,
    );
    strictEqual(
      bad.stderr.endsWith(
        "\nflag provided but not defined: -lightkdf\n" +
          "-lightkdf is a global flag: give it before the command (stave --lightkdf ... init ...)\n",
      ),
      true,
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave init refuses to overwrite an existing master seed", async () => {
  const t = await tempDirs();
  try {
    const path = await writeSeed(t.configdir, MASTER);
    const before = await Deno.readTextFile(path);
    const r = await runStave(
      ["--suppress-bootwarn", "--lightkdf", "init", "--configdir", t.configdir],
      { stdin: lines(MASTER, MASTER), home: t.home },
    );
    strictEqual(r.code, 1);
    strictEqual(r.stdout, "");
    strictEqual(
      r.stderr,
      `master key ${path} already exists, will not overwrite\n`,
    );
    strictEqual(await Deno.readTextFile(path), before);
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave init fails on a mismatched repeat", async () => {
  const t = await tempDirs();
  try {
    const r = await runStave(
      ["--suppress-bootwarn", "--lightkdf", "init", "--configdir", t.configdir],
      { stdin: lines(MASTER, MASTER + "x"), home: t.home },
    );
    strictEqual(r.code, 1);
    strictEqual(r.stderr, "Fatal: Passwords do not match\n");
    strictEqual(r.stdout.endsWith("Fatal: Passwords do not match\n"), true);
    strictEqual(
      await Deno.stat(join(t.configdir, "masterseed.json")).then(
        () => true,
        () => false,
      ),
      false,
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave init asks again after a password that breaks the policy", async () => {
  const t = await tempDirs();
  try {
    const r = await runStave(
      ["--suppress-bootwarn", "--lightkdf", "init", "--configdir", t.configdir],
      {
        stdin: lines(
          "short",
          "short",
          "back\\slash123",
          "back\\slash123",
          MASTER,
          MASTER,
        ),
        home: t.home,
      },
    );
    strictEqual(r.stderr, "");
    strictEqual(r.code, 0);
    const out = withoutLogLines(r.stdout);
    strictEqual(
      out.split(HEADING).length - 1,
      3,
      "the heading is printed once per attempt",
    );
    strictEqual(
      out.includes(
        "Repeat password: \ninvalid password: password too short (<10 characters)\n",
      ),
      true,
    );
    strictEqual(
      out.includes(
        "invalid password: password contains invalid characters - only 7bit printable ascii allowed\n",
      ),
      true,
    );
    const seed = await decryptMasterSeed(
      await Deno.readTextFile(join(t.configdir, "masterseed.json")),
      MASTER,
    );
    strictEqual(seed.length, 256);
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave init fails cleanly at end of input", async () => {
  const t = await tempDirs();
  try {
    const r = await runStave(
      ["--suppress-bootwarn", "--lightkdf", "init", "--configdir", t.configdir],
      { stdin: "", home: t.home },
    );
    strictEqual(r.code, 1);
    strictEqual(r.stderr, "Fatal: Failed to read password: EOF\n");
    const r2 = await runStave(
      ["--suppress-bootwarn", "--lightkdf", "init", "--configdir", t.configdir],
      { stdin: lines(MASTER), home: t.home },
    );
    strictEqual(r2.code, 1);
    strictEqual(
      r2.stderr,
      "Fatal: Failed to read password confirmation: EOF\n",
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave init reports a missing parent folder with Go's mkdir text", async () => {
  const t = await tempDirs();
  try {
    const dir = join(t.root, "missing", "config");
    const r = await runStave(
      ["--suppress-bootwarn", "--lightkdf", "init", "--configdir", dir],
      { stdin: lines(MASTER, MASTER), home: t.home },
    );
    strictEqual(r.code, 1);
    strictEqual(r.stderr, `mkdir ${dir}: no such file or directory\n`);
    strictEqual(r.stdout, "");
  } finally {
    await t.cleanup();
  }
});
