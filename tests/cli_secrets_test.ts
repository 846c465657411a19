/**
 * No secret ever reaches an output or a file in clear: runs every offline
 * command (successes and failures) in one throwaway tree, then searches
 * all stdout/stderr text and every file written for each secret used
 * (passwords, the master seed, derived vault keys, private keys), as typed
 * and in hex and base64.
 */
import { ok } from "node:assert/strict";
import { join } from "node:path";
import { toBase64, toHex } from "../src/_bytes.ts";
import { decryptKeyV3 } from "../src/keystore/v3.ts";
import { deriveVaultKeys } from "../src/vault/derive.ts";
import { decryptMasterSeed } from "../src/vault/master_seed.ts";
import {
  filesBelow,
  keyFiles,
  lines,
  RAW_KEY_ADDRESS,
  RAW_KEY_HEX,
  type RunResult,
  runStave,
  tempDirs,
} from "./_util.ts";

const MASTER = "Master-Pass phrase 42";
const NEWPW = "new-account-pass-7781";
const KEYPW = "imported key pass 5512";
const WRONG = "wrong master guess 9";

Deno.test("no secret appears in any output or written file", async () => {
  const t = await tempDirs();
  const runs: RunResult[] = [];
  const run = async (args: string[], stdin = "") => {
    const r = await runStave(
      [
        "--suppress-bootwarn",
        "--lightkdf",
        "--keystore",
        t.keystore,
        "--loglevel",
        "5",
        ...args,
      ],
      { stdin, home: t.home },
    );
    runs.push(r);
    return r;
  };
  try {
    const cfg = ["--configdir", t.configdir];
    ok((await run(["init", ...cfg], lines(MASTER, MASTER))).code === 0);
    ok((await run(["init", ...cfg], lines(MASTER, MASTER))).code === 1);
    ok((await run(["newaccount"], lines("short", NEWPW))).code === 0);
    const inputs = join(t.root, "inputs");
    await Deno.mkdir(inputs);
    const rawKey = join(inputs, "raw.key");
    await Deno.writeTextFile(rawKey, RAW_KEY_HEX + "\n");
    ok((await run(["importraw", rawKey], lines(KEYPW, KEYPW))).code === 0);
    ok(
      (await run(["importraw", rawKey], lines(KEYPW, KEYPW + "x"))).code === 1,
    );
    ok((await run(["importraw", rawKey], lines(KEYPW, KEYPW))).code === 1);
    const [newName] = (await keyFiles(t.keystore)).filter((n) =>
      !n.endsWith(RAW_KEY_ADDRESS.slice(2).toLowerCase())
    );
    const newKey = await decryptKeyV3(
      await Deno.readTextFile(join(t.keystore, newName)),
      NEWPW,
    );
    const newAddr = "0x" + toHex(newKey.address);
    ok(
      (await run(
        ["setpw", ...cfg, RAW_KEY_ADDRESS],
        lines(KEYPW, KEYPW, MASTER),
      ))
        .code === 0,
    );
    ok(
      (await run(["setpw", ...cfg, newAddr], lines(NEWPW, NEWPW, MASTER)))
        .code === 0,
    );
    ok(
      (await run(["setpw", ...cfg, newAddr], lines(NEWPW, NEWPW, WRONG)))
        .code === 1,
    );
    ok(
      (await run(["setpw", ...cfg, newAddr], lines(NEWPW, KEYPW))).code === 1,
    );
    const pwFile = join(inputs, "master.pw");
    await Deno.writeTextFile(pwFile, MASTER + "\n", { mode: 0o600 });
    await Deno.chmod(pwFile, 0o600);
    const rules = join(inputs, "rules.js");
    await Deno.writeTextFile(rules, "function OnSignerStartup(info) {}\n");
    ok(
      (await run(["attest", ...cfg, "--signersecret", pwFile, rules])).code ===
        0,
    );
    ok(
      (await run(["attest", ...cfg, "ab".repeat(32)], lines(WRONG))).code === 1,
    );
    ok((await run(["delpw", ...cfg, newAddr], lines(MASTER))).code === 0);
    ok((await run(["list-accounts"])).code === 0);
    ok((await run(["list-wallets"])).code === 0);

    const seed = await decryptMasterSeed(
      await Deno.readTextFile(join(t.configdir, "masterseed.json")),
      MASTER,
    );
    const keys = deriveVaultKeys(seed);
    const secretBytes = [
      seed,
      newKey.privateKey,
      keys.credentials,
      keys.config,
      keys.jsStorage,
    ];
    const needles = new Set<string>();
    for (const pw of [MASTER, NEWPW, KEYPW, WRONG]) {
      needles.add(pw);
      needles.add(toHex(new TextEncoder().encode(pw)));
      needles.add(toBase64(new TextEncoder().encode(pw)));
    }
    needles.add(RAW_KEY_HEX);
    for (const b of secretBytes) {
      needles.add(toHex(b));
      needles.add(toHex(b.subarray(0, 16)));
      needles.add(toBase64(b));
    }

    const haystacks: [string, string][] = [];
    runs.forEach((r, i) => {
      haystacks.push([`run ${i} stdout`, r.stdout]);
      haystacks.push([`run ${i} stderr`, r.stderr]);
    });
    for (const f of await filesBelow(t.root)) {
      if (f.startsWith(inputs + "/")) continue; // the test's own inputs
      haystacks.push([f, new TextDecoder().decode(await Deno.readFile(f))]);
    }
    ok(haystacks.length > 30, "outputs and files were collected");
    for (const [where, text] of haystacks) {
      const lower = text.toLowerCase();
      for (const n of needles) {
        ok(
          !text.includes(n) && !lower.includes(n.toLowerCase()),
          `a secret appears in ${where}`,
        );
      }
    }
  } finally {
    await t.cleanup();
  }
});
