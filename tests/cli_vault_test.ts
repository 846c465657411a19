/**
 * Black-box tests of the vault commands `setpw`, `delpw`, `attest` and
 * the two readings of `--signersecret` (spec cli.md §4.2, §4.3,
 * storage.md §2.2).
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../src/_bytes.ts";
import {
  BOOT_WARNING_OUTPUT,
  lines,
  modeOf,
  openTestVault,
  RAW_KEY_ADDRESS,
  RAW_KEY_HEX,
  runStave,
  tempDirs,
  withoutLogLines,
  writeSeed,
} from "./_util.ts";

const MASTER = "the master password";
const KEYPW = "key password 1";
const ADDR_LOWER = RAW_KEY_ADDRESS.toLowerCase();

function logLine(stdout: string, msg: string): string | undefined {
  return stdout.split("\n").find((l) =>
    /^(INFO |WARN |ERROR)\[\d\d-\d\d\|\d\d:\d\d:\d\d\.\d{3}\] /.test(l) &&
    l.slice(26).startsWith(msg)
  );
}

Deno.test("stave setpw stores the password under the checksummed address; delpw removes it", async () => {
  const t = await tempDirs();
  try {
    await writeSeed(t.configdir, MASTER);
    const r = await runStave(
      ["--suppress-bootwarn", "setpw", "--configdir", t.configdir, ADDR_LOWER],
      { stdin: lines(KEYPW, KEYPW, MASTER), home: t.home },
    );
    strictEqual(r.stderr, "");
    strictEqual(r.code, 0);
    strictEqual(
      withoutLogLines(r.stdout),
      "Please enter a password to store for this address:\n" +
        "!! Unsupported terminal, password will be echoed.\n" +
        "Password: \nRepeat password: \n\n" +
        "Decrypt master seed of clef\nPassword: \n",
    );
    const log = logLine(r.stdout, "Credential store updated");
    ok(log, r.stdout);
    ok(log.endsWith(` set=${RAW_KEY_ADDRESS}`), log);
    ok(log.startsWith("INFO ["));

    const vault = await openTestVault(t.configdir, MASTER);
    strictEqual(await vault.credentials.get(RAW_KEY_ADDRESS), KEYPW);
    strictEqual(await modeOf(vault.dir), 0o700);
    strictEqual(await modeOf(join(vault.dir, "credentials.json")), 0o600);

    const d = await runStave(
      [
        "--suppress-bootwarn",
        "delpw",
        "--configdir",
        t.configdir,
        "0X" + ADDR_LOWER.slice(2).toUpperCase(),
      ],
      { stdin: lines(MASTER), home: t.home },
    );
    strictEqual(d.stderr, "");
    strictEqual(d.code, 0);
    const dl = logLine(d.stdout, "Credential store updated");
    ok(dl?.endsWith(` unset=${RAW_KEY_ADDRESS}`), d.stdout);
    strictEqual(await vault.credentials.get(RAW_KEY_ADDRESS), undefined);
    strictEqual(await modeOf(join(vault.dir, "credentials.json")), 0o600);
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave setpw checks the password against the account's key file", async () => {
  const t = await tempDirs();
  try {
    await writeSeed(t.configdir, MASTER);
    const keyfile = join(t.root, "rawkey");
    await Deno.writeTextFile(keyfile, RAW_KEY_HEX + "\n");
    const imported = await runStave(
      [
        "--keystore",
        t.keystore,
        "--suppress-bootwarn",
        "--lightkdf",
        "importraw",
        keyfile,
      ],
      { stdin: lines(KEYPW, KEYPW), home: t.home },
    );
    strictEqual(imported.code, 0, imported.stderr);
    const setpw = (password: string) =>
      runStave(
        [
          "--keystore",
          t.keystore,
          "--suppress-bootwarn",
          "setpw",
          "--configdir",
          t.configdir,
          ADDR_LOWER,
        ],
        { stdin: lines(password, password, MASTER), home: t.home },
      );

    // A wrong password: refused before the master password is asked for.
    const wrong = await setpw("not the key password");
    strictEqual(wrong.code, 1);
    ok(
      wrong.stderr.includes(
        `Fatal: the password does not open the key file of ${RAW_KEY_ADDRESS} (${t.keystore}/`,
      ),
      wrong.stderr,
    );
    ok(
      wrong.stderr.includes(
        "could not decrypt key with given password; nothing was stored",
      ),
      wrong.stderr,
    );
    ok(!wrong.stdout.includes("Decrypt master seed"), wrong.stdout);
    ok(!wrong.stdout.includes("not the key password"), "no secret echoed");
    ok(!wrong.stderr.includes("not the key password"), "no secret echoed");
    const vault = await openTestVault(t.configdir, MASTER);
    strictEqual(await vault.credentials.get(RAW_KEY_ADDRESS), undefined);

    // The right one is stored.
    const right = await setpw(KEYPW);
    strictEqual(right.code, 0, right.stderr);
    strictEqual(await vault.credentials.get(RAW_KEY_ADDRESS), KEYPW);

    // No key file for the address: stored unchecked, with a warning.
    const other = "0x" + "11".repeat(20);
    const none = await runStave(
      [
        "--keystore",
        t.keystore,
        "--suppress-bootwarn",
        "setpw",
        "--configdir",
        t.configdir,
        other,
      ],
      { stdin: lines("pw", "pw", MASTER), home: t.home },
    );
    strictEqual(none.code, 0, none.stderr);
    ok(
      logLine(
        none.stdout,
        "No key file for this address in the keystore; storing the password unchecked",
      ),
      none.stdout,
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave setpw stores an empty password as is (no policy)", async () => {
  const t = await tempDirs();
  try {
    await writeSeed(t.configdir, MASTER);
    const r = await runStave(
      [
        "--suppress-bootwarn",
        "setpw",
        "--configdir",
        t.configdir,
        RAW_KEY_ADDRESS,
      ],
      { stdin: lines("", "", MASTER), home: t.home },
    );
    strictEqual(r.code, 0, r.stderr);
    const vault = await openTestVault(t.configdir, MASTER);
    strictEqual(await vault.credentials.get(RAW_KEY_ADDRESS), "");
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave setpw/delpw/attest check their argument before the boot warning", async () => {
  const t = await tempDirs();
  try {
    for (const cmd of ["setpw", "delpw"]) {
      const r = await runStave([cmd, "--configdir", t.configdir], {
        home: t.home,
      });
      strictEqual(r.code, 1);
      const msg =
        "Fatal: This command requires an address to be passed as an argument\n";
      strictEqual(r.stderr, msg);
      strictEqual(r.stdout, msg, "no boot warning, Fatal also on stdout");
    }
    const a = await runStave(["attest", "--configdir", t.configdir], {
      home: t.home,
    });
    strictEqual(a.code, 1);
    strictEqual(a.stderr, "Fatal: This command requires an argument.\n");
    strictEqual(a.stdout, "Fatal: This command requires an argument.\n");
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave setpw rejects an invalid address after the boot warning", async () => {
  const t = await tempDirs();
  try {
    await writeSeed(t.configdir, MASTER);
    const r = await runStave(
      ["setpw", "--configdir", t.configdir, "0x1234"],
      { stdin: lines("ok"), home: t.home },
    );
    strictEqual(r.code, 1);
    strictEqual(r.stderr, "Fatal: Invalid address specified: 0x1234\n");
    strictEqual(
      r.stdout,
      BOOT_WARNING_OUTPUT + "\nFatal: Invalid address specified: 0x1234\n",
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave setpw with a wrong master password fails and stores nothing", async () => {
  const t = await tempDirs();
  try {
    await writeSeed(t.configdir, MASTER);
    const r = await runStave(
      [
        "--suppress-bootwarn",
        "setpw",
        "--configdir",
        t.configdir,
        RAW_KEY_ADDRESS,
      ],
      { stdin: lines(KEYPW, KEYPW, "not the master password"), home: t.home },
    );
    strictEqual(r.code, 1);
    strictEqual(r.stderr, "Fatal: failed to decrypt the master seed of clef\n");
    ok(r.stdout.endsWith("Fatal: failed to decrypt the master seed of clef\n"));
    const vault = await openTestVault(t.configdir, MASTER);
    strictEqual(await vault.credentials.get(RAW_KEY_ADDRESS), undefined);
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave setpw fails on a mismatched repeat and at end of input", async () => {
  const t = await tempDirs();
  try {
    await writeSeed(t.configdir, MASTER);
    const args = [
      "--suppress-bootwarn",
      "setpw",
      "--configdir",
      t.configdir,
      RAW_KEY_ADDRESS,
    ];
    const r = await runStave(args, {
      stdin: lines(KEYPW, KEYPW + "!", MASTER),
      home: t.home,
    });
    strictEqual(r.code, 1);
    strictEqual(r.stderr, "Fatal: Passwords do not match\n");
    const e = await runStave(args, {
      stdin: lines(KEYPW, KEYPW),
      home: t.home,
    });
    strictEqual(e.code, 1);
    strictEqual(e.stderr, "Fatal: Failed to read password: EOF\n");
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave setpw without a master seed names the missing file", async () => {
  const t = await tempDirs();
  try {
    await Deno.mkdir(t.configdir);
    const seed = join(t.configdir, "masterseed.json");
    const r = await runStave(
      [
        "--suppress-bootwarn",
        "setpw",
        "--configdir",
        t.configdir,
        RAW_KEY_ADDRESS,
      ],
      { stdin: lines(KEYPW, KEYPW, MASTER), home: t.home },
    );
    strictEqual(r.code, 1);
    strictEqual(
      r.stderr,
      `Fatal: failed stat on ${seed}: stat ${seed}: no such file or directory\n`,
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave delpw refuses a master seed readable by others before prompting", async () => {
  const t = await tempDirs();
  try {
    const seed = await writeSeed(t.configdir, MASTER);
    await Deno.chmod(seed, 0o644);
    const r = await runStave(
      [
        "--suppress-bootwarn",
        "delpw",
        "--configdir",
        t.configdir,
        RAW_KEY_ADDRESS,
      ],
      { stdin: lines(MASTER), home: t.home },
    );
    strictEqual(r.code, 1);
    strictEqual(
      r.stderr,
      `Fatal: file (${seed}) has insecure file permissions (-rw-r--r--)\n`,
    );
    ok(!r.stdout.includes("Password:"), "no prompt before the check");
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave attest stores a sha256 (in lowercase) and a file's sha256", async () => {
  const t = await tempDirs();
  try {
    await writeSeed(t.configdir, MASTER);
    const hash = "AB".repeat(32);
    const r = await runStave(
      [
        "--suppress-bootwarn",
        "attest",
        "--configdir",
        t.configdir,
        hash,
        "rules.js",
      ],
      { stdin: lines(MASTER), home: t.home },
    );
    strictEqual(r.stderr, "");
    strictEqual(r.code, 0);
    ok(
      logLine(r.stdout, "Ruleset attestation updated")?.endsWith(
        ` sha256=${hash.toLowerCase()}`,
      ),
    );
    const vault = await openTestVault(t.configdir, MASTER);
    strictEqual(await vault.config.get("ruleset_sha256"), hash.toLowerCase());
    strictEqual(await modeOf(join(vault.dir, "config.json")), 0o600);

    const rules = join(t.root, "rules.js");
    const source = "function ApproveListing(){ return 'Approve' }\n";
    await Deno.writeTextFile(rules, source);
    const want = toHex(sha256(new TextEncoder().encode(source)));
    const f = await runStave(
      ["--suppress-bootwarn", "attest", "--configdir", t.configdir, rules],
      { stdin: lines(MASTER), home: t.home },
    );
    strictEqual(f.stderr, "");
    strictEqual(f.code, 0);
    ok(
      logLine(f.stdout, "Attesting the sha256 of a rules file")?.endsWith(
        ` file=${rules}`,
      ),
      f.stdout,
    );
    ok(
      logLine(f.stdout, "Ruleset attestation updated")?.endsWith(
        ` sha256=${want}`,
      ),
    );
    strictEqual(await vault.config.get("ruleset_sha256"), want);

    // Neither a file nor a sha256 (a typo, a short hash): refused before the
    // master password is asked for; the attestation stays as it was.
    for (const arg of ["rules.jss", "ab".repeat(31), "xyz"]) {
      const bad = await runStave(
        ["--suppress-bootwarn", "attest", "--configdir", t.configdir, arg],
        { stdin: lines(MASTER), home: t.home },
      );
      strictEqual(bad.code, 1, arg);
      ok(
        bad.stderr.includes(
          `Fatal: "${arg}" is neither an existing file nor a sha256 (64 hex digits)`,
        ),
        bad.stderr,
      );
      ok(!bad.stdout.includes("Decrypt master seed"), bad.stdout);
      strictEqual(await vault.config.get("ruleset_sha256"), want);
    }
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave attest with a password file as --signersecret asks nothing", async () => {
  const t = await tempDirs();
  try {
    await writeSeed(t.configdir, MASTER);
    const pwFile = join(t.root, "master.pw");
    await Deno.writeTextFile(pwFile, MASTER + "\nsecond line ignored\n", {
      mode: 0o440,
    });
    await Deno.chmod(pwFile, 0o440);
    const hash = "cd".repeat(32);
    const r = await runStave(
      [
        "--suppress-bootwarn",
        "attest",
        "--configdir",
        t.configdir,
        "--signersecret",
        pwFile,
        hash,
      ],
      { stdin: "", home: t.home },
    );
    strictEqual(r.stderr, "");
    strictEqual(r.code, 0);
    strictEqual(withoutLogLines(r.stdout), "", "no prompt");
    const used = logLine(
      r.stdout,
      "Reading --signersecret as the master password file",
    );
    ok(used, r.stdout);
    ok(
      used.includes(` file=${pwFile}`) &&
        used.includes(` seed=${join(t.configdir, "masterseed.json")}`),
    );
    const vault = await openTestVault(t.configdir, MASTER);
    strictEqual(await vault.config.get("ruleset_sha256"), hash);

    // A password file others may read is refused.
    await Deno.chmod(pwFile, 0o644);
    const bad = await runStave(
      [
        "--suppress-bootwarn",
        "attest",
        "--configdir",
        t.configdir,
        "--signersecret",
        pwFile,
        hash,
      ],
      { stdin: "", home: t.home },
    );
    strictEqual(bad.code, 1);
    strictEqual(
      bad.stderr,
      `Fatal: file (${pwFile}) has insecure file permissions (-rw-r--r--)\n`,
    );

    // A wrong password in the file.
    await Deno.chmod(pwFile, 0o600);
    await Deno.writeTextFile(pwFile, "wrong password\n");
    const wrong = await runStave(
      [
        "--suppress-bootwarn",
        "attest",
        "--configdir",
        t.configdir,
        "--signersecret",
        pwFile,
        hash,
      ],
      { stdin: "", home: t.home },
    );
    strictEqual(wrong.code, 1);
    strictEqual(
      wrong.stderr,
      "Fatal: failed to decrypt the master seed of clef\n",
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave delpw with an encrypted seed as --signersecret prompts for its password", async () => {
  const t = await tempDirs();
  try {
    const other = join(t.root, "elsewhere");
    const seedFile = await writeSeed(other, MASTER);
    await Deno.mkdir(t.configdir);
    const r = await runStave(
      [
        "--suppress-bootwarn",
        "--signersecret",
        seedFile,
        "setpw",
        "--configdir",
        t.configdir,
        RAW_KEY_ADDRESS,
      ],
      { stdin: lines(KEYPW, KEYPW, MASTER), home: t.home },
    );
    strictEqual(r.stderr, "");
    strictEqual(r.code, 0);
    ok(
      logLine(r.stdout, "Reading --signersecret as the encrypted master seed")
        ?.endsWith(` file=${seedFile}`),
    );
    ok(
      withoutLogLines(r.stdout).endsWith(
        "Decrypt master seed of clef\nPassword: \n",
      ),
    );
    // The vault lives under --configdir, not next to the seed file.
    const entries = [];
    for await (const e of Deno.readDir(t.configdir)) entries.push(e.name);
    strictEqual(entries.length, 1);
    ok(/^[0-9a-f]{20}$/.test(entries[0]));
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave setpw/delpw/attest refuse a damaged vault file, naming it, and leave it untouched", async () => {
  const t = await tempDirs();
  try {
    await writeSeed(t.configdir, MASTER);
    const ok1 = await runStave(
      [
        "--suppress-bootwarn",
        "setpw",
        "--configdir",
        t.configdir,
        RAW_KEY_ADDRESS,
      ],
      { stdin: lines(KEYPW, KEYPW, MASTER), home: t.home },
    );
    strictEqual(ok1.code, 0, ok1.stderr);
    const vault = await openTestVault(t.configdir, MASTER);
    const file = join(vault.dir, "credentials.json");
    const stored = JSON.parse(await Deno.readTextFile(file));
    const rec = stored[RAW_KEY_ADDRESS];
    // flip one base64 character of the ciphertext
    rec.c = (rec.c[0] === "A" ? "B" : "A") + rec.c.slice(1);
    const tampered = JSON.stringify(stored);
    await Deno.writeTextFile(file, tampered);
    // A record that fails authentication is kept byte for byte by a put of
    // another key (clef's store semantics) ...
    const other = "0x" + "11".repeat(20);
    const r = await runStave(
      ["--suppress-bootwarn", "setpw", "--configdir", t.configdir, other],
      { stdin: lines(KEYPW, KEYPW, MASTER), home: t.home },
    );
    strictEqual(r.code, 0, r.stderr);
    strictEqual(
      JSON.parse(await Deno.readTextFile(file))[RAW_KEY_ADDRESS].c,
      rec.c,
    );
    // ... while a file that does not parse is an error naming it, untouched.
    const broken = tampered.slice(0, -1);
    await Deno.writeTextFile(file, broken);
    const b = await runStave(
      ["--suppress-bootwarn", "setpw", "--configdir", t.configdir, other],
      { stdin: lines(KEYPW, KEYPW, MASTER), home: t.home },
    );
    strictEqual(b.code, 1);
    ok(b.stderr.startsWith("Fatal: "), b.stderr);
    ok(b.stderr.includes(file), b.stderr);
    strictEqual(await Deno.readTextFile(file), broken);
    const d = await runStave(
      ["--suppress-bootwarn", "delpw", "--configdir", t.configdir, other],
      { stdin: lines(MASTER), home: t.home },
    );
    strictEqual(d.code, 1);
    ok(d.stderr.includes(file), d.stderr);
    strictEqual(await Deno.readTextFile(file), broken);

    const garbage = await runStave(
      [
        "--suppress-bootwarn",
        "attest",
        "--configdir",
        t.configdir,
        "ab".repeat(32),
      ],
      { stdin: lines(MASTER), home: t.home },
    );
    strictEqual(garbage.code, 0, "config.json is a different, intact file");
    const cfg = join(vault.dir, "config.json");
    await Deno.writeTextFile(cfg, "{not json");
    const g2 = await runStave(
      [
        "--suppress-bootwarn",
        "attest",
        "--configdir",
        t.configdir,
        "ab".repeat(32),
      ],
      { stdin: lines(MASTER), home: t.home },
    );
    strictEqual(g2.code, 1);
    ok(g2.stderr.includes(cfg), g2.stderr);
    deepStrictEqual(await Deno.readTextFile(cfg), "{not json");
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave --loglevel hides records above the level; the stdio UI moves them to stderr", async () => {
  const t = await tempDirs();
  try {
    await writeSeed(t.configdir, MASTER);
    const quiet = await runStave(
      [
        "--suppress-bootwarn",
        "attest",
        "--loglevel",
        "1",
        "--configdir",
        t.configdir,
        "ab".repeat(32),
      ],
      { stdin: lines(MASTER), home: t.home },
    );
    strictEqual(quiet.code, 0, quiet.stderr);
    strictEqual(
      quiet.stdout,
      "Decrypt master seed of clef\n!! Unsupported terminal, password will be echoed.\nPassword: \n",
    );
    const stdio = await runStave(
      [
        "--suppress-bootwarn",
        "--stdio-ui",
        "attest",
        "--configdir",
        t.configdir,
        "ab".repeat(32),
      ],
      { stdin: lines(MASTER), home: t.home },
    );
    strictEqual(stdio.code, 0, stdio.stderr);
    ok(logLine(stdio.stderr, "Ruleset attestation updated"), stdio.stderr);
    strictEqual(
      logLine(stdio.stdout, "Ruleset attestation updated"),
      undefined,
    );
  } finally {
    await t.cleanup();
  }
});
