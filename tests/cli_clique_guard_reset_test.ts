/**
 * Black-box tests of `stave clique-guard-reset <address> <block>`: the
 * operator's way to move the Clique double-sign guard back.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { CliqueGuard } from "../src/api/clique_guard.ts";
import {
  lines,
  openTestVault,
  RAW_KEY_ADDRESS,
  runStave,
  tempDirs,
  writeSeed,
} from "./_util.ts";

const MASTER = "the master password";

Deno.test("stave clique-guard-reset lets a height be sealed once more", async () => {
  const t = await tempDirs();
  try {
    await writeSeed(t.configdir, MASTER);
    const vault = await openTestVault(t.configdir, MASTER);
    const guard = new CliqueGuard(vault.config);
    await guard.admit(RAW_KEY_ADDRESS, 100n, "0x" + "11".repeat(32));

    const r = await runStave([
      "--suppress-bootwarn",
      "clique-guard-reset",
      "--configdir",
      t.configdir,
      RAW_KEY_ADDRESS.toLowerCase(),
      "90",
    ], { stdin: lines(MASTER), home: t.home });
    strictEqual(r.code, 0, r.stderr);
    strictEqual(r.stderr, "");
    ok(r.stdout.includes("Clique guard moved back"), r.stdout);

    deepStrictEqual(await guard.state(RAW_KEY_ADDRESS), {
      number: 90n,
      sealHash: null,
    });
  } finally {
    await Deno.remove(t.root, { recursive: true });
  }
});

Deno.test("stave clique-guard-reset refuses a bad block number and a wrong master password", async () => {
  const t = await tempDirs();
  try {
    await writeSeed(t.configdir, MASTER);
    const base = [
      "--suppress-bootwarn",
      "clique-guard-reset",
      "--configdir",
      t.configdir,
    ];
    const bad = await runStave([...base, RAW_KEY_ADDRESS, "-1"], {
      stdin: lines(MASTER),
      home: t.home,
    });
    strictEqual(bad.code, 1);
    ok(bad.stderr.includes("Invalid block number specified: -1"), bad.stderr);
    const missing = await runStave([...base, RAW_KEY_ADDRESS], {
      stdin: lines(MASTER),
      home: t.home,
    });
    strictEqual(missing.code, 1);
    ok(missing.stderr.includes("requires a block number"), missing.stderr);
    const wrong = await runStave([...base, RAW_KEY_ADDRESS, "5"], {
      stdin: lines("not the master password"),
      home: t.home,
    });
    strictEqual(wrong.code, 1);
    ok(
      wrong.stderr.includes("failed to decrypt the master seed of clef"),
      wrong.stderr,
    );
  } finally {
    await Deno.remove(t.root, { recursive: true });
  }
});
