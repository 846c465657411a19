/**
 * Black-box tests of the keystore commands `newaccount`, `importraw`,
 * `list-accounts`, `list-wallets` (spec cli.md §4.5–§4.8), including
 * go-ethereum's `TestImportRaw`, `TestListAccounts`, `TestListWallets`
 * expectations (cli.md §5).
 */
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { decryptKeyV3 } from "../src/keystore/v3.ts";
import { toChecksumAddress } from "../src/address.ts";
import { toHex } from "../src/_bytes.ts";
import {
  keyFiles,
  lines,
  modeOf,
  RAW_KEY_ADDRESS,
  RAW_KEY_HEX,
  runStave,
  type TempDirs,
  tempDirs,
  withoutLogLines,
} from "./_util.ts";

const KEYPW = "myverylongpassword";

/** `clef --keystore <dir> --suppress-bootwarn --lightkdf <cmd> ...`. */
function geth(t: TempDirs, cmd: string[], stdin = "") {
  return runStave(
    ["--keystore", t.keystore, "--suppress-bootwarn", "--lightkdf", ...cmd],
    { stdin, home: t.home },
  );
}

async function writeRawKey(t: TempDirs, text = RAW_KEY_HEX + "\n") {
  const path = join(t.root, "rawkey");
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("TestImportRaw: happy path", async () => {
  const t = await tempDirs();
  try {
    const keyfile = await writeRawKey(t);
    const r = await geth(t, ["importraw", keyfile], lines(KEYPW, KEYPW));
    strictEqual(r.stderr, "");
    strictEqual(r.code, 0);
    ok(r.stdout.includes(`Key imported:\n  Address ${RAW_KEY_ADDRESS}`));
    const [name] = await keyFiles(t.keystore);
    const path = join(t.keystore, name);
    strictEqual(
      withoutLogLines(r.stdout),
      "## Password\n\nPlease enter a password for the imported account\n" +
        "!! Unsupported terminal, password will be echoed.\n> \n" +
        "-----------------------\n" +
        "## Password\n\nPlease repeat the password you just entered\n> \n" +
        "-----------------------\n" +
        "## Info \nKey imported:\n" +
        `  Address ${RAW_KEY_ADDRESS}\n` +
        `  Keystore file: ${path}\n\n` +
        "The key is now encrypted; losing the password will result in permanently losing\n" +
        "access to the key and all associated funds!\n\n" +
        "Make sure to backup keystore and passwords in a safe location.\n",
    );
    strictEqual(await modeOf(path), 0o600);
    strictEqual(await modeOf(t.keystore), 0o700);
    const json = JSON.parse(await Deno.readTextFile(path));
    strictEqual(json.crypto.kdfparams.n, 4096);
    strictEqual(json.crypto.kdfparams.p, 6);
    const key = await decryptKeyV3(JSON.stringify(json), KEYPW);
    strictEqual(toHex(key.privateKey), RAW_KEY_HEX);
    strictEqual(toChecksumAddress(key.address), RAW_KEY_ADDRESS);
  } finally {
    await t.cleanup();
  }
});

Deno.test("TestImportRaw: password mismatch", async () => {
  const t = await tempDirs();
  try {
    const keyfile = await writeRawKey(t);
    const r = await geth(t, ["importraw", keyfile], lines(KEYPW, KEYPW + "1"));
    strictEqual(r.code, 1);
    strictEqual(r.stderr, "Passwords do not match\n");
    strictEqual(
      await Deno.stat(t.keystore).then(() => true, () => false),
      false,
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("TestImportRaw: short password", async () => {
  const t = await tempDirs();
  try {
    const keyfile = await writeRawKey(t);
    const r = await geth(
      t,
      ["importraw", keyfile],
      lines("myverylon", "myverylon"),
    );
    strictEqual(r.code, 1);
    strictEqual(
      r.stderr,
      "password requirements not met: password too short (<10 characters)\n",
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave importraw: argument count, unreadable and malformed key files, duplicates, EOF", async () => {
  const t = await tempDirs();
  try {
    for (const args of [[], ["a", "b"]]) {
      const r = await runStave(["importraw", ...args], { home: t.home });
      strictEqual(r.code, 1);
      strictEqual(r.stderr, "<keyfile> must be given as first argument\n");
      strictEqual(r.stdout, "", "checked before the boot warning");
    }
    const missing = join(t.root, "nokey");
    const m = await geth(t, ["importraw", missing], lines(KEYPW, KEYPW));
    strictEqual(m.code, 1);
    strictEqual(m.stderr, `open ${missing}: no such file or directory\n`);
    ok(!m.stdout.includes("## Password"), "no prompt for a missing file");

    const dir = join(t.root, "adir");
    await Deno.mkdir(dir);
    const d = await geth(t, ["importraw", dir], lines(KEYPW, KEYPW));
    strictEqual(d.code, 1);
    strictEqual(d.stderr, `read ${dir}: is a directory\n`);

    const short = await writeRawKey(t, "0x" + RAW_KEY_HEX.slice(2));
    const s = await geth(t, ["importraw", short], lines(KEYPW, KEYPW));
    strictEqual(s.code, 1);
    strictEqual(s.stderr, "invalid hex character 'x' in private key\n");

    const keyfile = await writeRawKey(t);
    strictEqual(
      (await geth(t, ["importraw", keyfile], lines(KEYPW, KEYPW))).code,
      0,
    );
    const dup = await geth(t, ["importraw", keyfile], lines(KEYPW, KEYPW));
    strictEqual(dup.code, 1);
    strictEqual(dup.stderr, "account already exists\n");
    strictEqual((await keyFiles(t.keystore)).length, 1);

    const eof = await geth(t, ["importraw", keyfile], lines(KEYPW));
    strictEqual(eof.code, 1);
    strictEqual(eof.stderr, "Failed to read password: end of input\n");

    const none = await runStave(
      [
        "--keystore",
        "",
        "--suppress-bootwarn",
        "--lightkdf",
        "importraw",
        keyfile,
      ],
      { stdin: lines(KEYPW, KEYPW), home: t.home },
    );
    strictEqual(none.code, 1);
    strictEqual(none.stderr, "password based accounts not supported\n");
  } finally {
    await t.cleanup();
  }
});

Deno.test("TestListAccounts and TestListWallets: empty, then after an import", async () => {
  const t = await tempDirs();
  try {
    const la = await geth(t, ["list-accounts"]);
    strictEqual(la.code, 0);
    strictEqual(la.stderr, "");
    strictEqual(la.stdout, "\nThe keystore is empty.\n\n");
    const lw = await geth(t, ["list-wallets"]);
    strictEqual(lw.code, 0);
    strictEqual(lw.stderr, "");
    strictEqual(lw.stdout, "\nThere are no wallets.\n\n");

    const keyfile = await writeRawKey(t);
    strictEqual(
      (await geth(t, ["importraw", keyfile], lines(KEYPW, KEYPW))).code,
      0,
    );
    // Things a scan must skip: editor backups, hidden files, folders, garbage.
    await Deno.writeTextFile(join(t.keystore, "garbage"), "not a key");
    await Deno.writeTextFile(join(t.keystore, ".hidden"), "{}");
    await Deno.mkdir(join(t.keystore, "subdir"));
    const [name] = await keyFiles(t.keystore);
    const url = `keystore://${join(t.keystore, name)}`;

    const la2 = await geth(t, ["list-accounts"]);
    strictEqual(la2.code, 0);
    strictEqual(la2.stderr, "");
    strictEqual(la2.stdout, `\n${RAW_KEY_ADDRESS} (${url})\n`);
    ok(la2.stdout.includes(`${RAW_KEY_ADDRESS} (keystore:`));

    const lw2 = await geth(t, ["list-wallets"]);
    strictEqual(lw2.code, 0);
    strictEqual(lw2.stderr, "");
    strictEqual(
      lw2.stdout,
      `\n- Wallet 0 at ${url} (Locked )\n  -Account 0: ${RAW_KEY_ADDRESS} (${url})\n\n`,
    );
    ok(lw2.stdout.includes(`Account 0: ${RAW_KEY_ADDRESS}`));

    const debug = await runStave(
      [
        "--keystore",
        t.keystore,
        "--suppress-bootwarn",
        "--loglevel",
        "4",
        "list-accounts",
      ],
      { home: t.home },
    );
    strictEqual(debug.code, 0);
    ok(
      debug.stdout.split("\n").some((l) =>
        l.startsWith("DEBUG[") && l.includes("Failed to decode keystore key") &&
        l.includes(join(t.keystore, "garbage"))
      ),
      debug.stdout,
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave newaccount creates a key file after a policy failure", async () => {
  const t = await tempDirs();
  try {
    const r = await geth(t, ["newaccount"], lines("short", KEYPW));
    strictEqual(r.stderr, "");
    strictEqual(r.code, 0);
    const [name] = await keyFiles(t.keystore);
    const path = join(t.keystore, name);
    strictEqual(await modeOf(path), 0o600);
    const key = await decryptKeyV3(await Deno.readTextFile(path), KEYPW);
    const address = toChecksumAddress(key.address);
    const out = withoutLogLines(r.stdout);
    strictEqual(
      out,
      "## New account password\n\n" +
        "Please enter a password for the new account to be created (attempt 0 of 3)\n" +
        "!! Unsupported terminal, password will be echoed.\n> \n" +
        "-----------------------\n" +
        "## Error \nAccount creation attempt #1 failed due to password requirements: password too short (<10 characters)\n" +
        "-------------------------------------------\n" +
        "## New account password\n\n" +
        "Please enter a password for the new account to be created (attempt 1 of 3)\n> \n" +
        "-----------------------\n" +
        `Generated account ${address}\n`,
    );
    const logs = r.stdout.split("\n").filter((l) => /^[A-Z]{4,5} ?\[/.test(l));
    ok(
      logs.some((l) =>
        l.startsWith("INFO [") && l.includes("Your new key was generated") &&
        l.endsWith(`address=${address}`)
      ),
    );
    ok(
      logs.some((l) =>
        l.startsWith("WARN [") && l.includes("Please backup your key file!") &&
        l.endsWith(`path=${path}`)
      ),
    );
    ok(
      logs.some((l) =>
        l.startsWith("WARN [") && l.includes("Please remember your password!")
      ),
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave newaccount fails after three bad passwords and at end of input", async () => {
  const t = await tempDirs();
  try {
    const r = await geth(t, ["newaccount"], lines("a", "b", "c\\ccccccccccc"));
    strictEqual(r.code, 1);
    strictEqual(r.stderr, "account creation failed\n");
    ok(
      r.stdout.includes(
        "Account creation attempt #3 failed due to password requirements: password contains invalid characters",
      ),
    );
    strictEqual(
      await Deno.stat(t.keystore).then(() => true, () => false),
      false,
    );

    const e = await geth(t, ["newaccount"], "");
    strictEqual(e.code, 1);
    strictEqual(e.stderr, "account creation failed: end of input\n");

    const none = await runStave(
      ["--keystore", "", "--suppress-bootwarn", "newaccount"],
      { stdin: lines(KEYPW), home: t.home },
    );
    strictEqual(none.code, 1);
    strictEqual(none.stderr, "password based accounts not supported\n");
  } finally {
    await t.cleanup();
  }
});
