/**
 * Black-box tests of `stave clique-guard-export` and `clique-guard-import`:
 * guard records move vault → database → another vault and back unchanged,
 * and an import only ever raises a record.
 */
import { deepStrictEqual, match, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { CliqueGuard } from "../src/api/clique_guard.ts";
import { createTestDb, PG_SKIP } from "./_pg.ts";
import {
  lines,
  openTestVault,
  RAW_KEY_ADDRESS,
  runStave,
  tempDirs,
  writeSeed,
} from "./_util.ts";

const MASTER = "the master password";
const OTHER = "0x71562b71999873DB5b286dF957af199Ec94617F7";
const H = (b: string) => "0x" + b.repeat(32);

async function stave(args: string[], home: string, stdin = "") {
  return await runStave(["--suppress-bootwarn", ...args], { stdin, home });
}

Deno.test("clique-guard-export and -import round-trip between vaults and refuse other chains and bad files", async () => {
  const t = await tempDirs();
  const u = await tempDirs();
  try {
    await writeSeed(t.configdir, MASTER);
    await writeSeed(u.configdir, MASTER, new Uint8Array(256).fill(7));
    const g = new CliqueGuard(
      (await openTestVault(t.configdir, MASTER)).config,
    );
    await g.admit(RAW_KEY_ADDRESS, 100n, H("11"));
    await g.admit(OTHER, 5n, H("22"));
    const ex = await stave(
      [
        "clique-guard-export",
        "--configdir",
        t.configdir,
        "--chainid",
        "4",
        join(t.root, "out.json"),
      ],
      t.home,
      lines(MASTER),
    );
    strictEqual(ex.code, 0, ex.stderr);
    strictEqual(
      (await Deno.stat(join(t.root, "out.json"))).mode! & 0o777,
      0o600,
    );
    const doc = JSON.parse(await Deno.readTextFile(join(t.root, "out.json")));
    deepStrictEqual(doc.records, [
      { chainId: "4", account: OTHER, number: "5", sealHash: H("22") },
      {
        chainId: "4",
        account: RAW_KEY_ADDRESS,
        number: "100",
        sealHash: H("11"),
      },
    ]);
    const file = join(t.root, "guard.json");
    await Deno.writeTextFile(file, JSON.stringify(doc));
    // Another chain's vault is refused, and nothing is written.
    const wrong = await stave(
      ["clique-guard-import", "--configdir", u.configdir, file],
      u.home,
      lines(MASTER),
    );
    strictEqual(wrong.code, 1);
    match(wrong.stderr, /the vault keeps the guard of one chain/);
    const imp = await stave(
      [
        "clique-guard-import",
        "--configdir",
        u.configdir,
        "--chainid",
        "4",
        file,
      ],
      u.home,
      lines(MASTER),
    );
    strictEqual(imp.code, 0, imp.stderr);
    const g2 = new CliqueGuard(
      (await openTestVault(u.configdir, MASTER)).config,
    );
    deepStrictEqual(await g2.state(RAW_KEY_ADDRESS), {
      number: 100n,
      sealHash: H("11"),
    });
    // A file that is not an export.
    await Deno.writeTextFile(file, '{"records":[]}');
    const bad = await stave(
      [
        "clique-guard-import",
        "--configdir",
        u.configdir,
        "--chainid",
        "4",
        file,
      ],
      u.home,
      lines(MASTER),
    );
    strictEqual(bad.code, 1);
    match(bad.stderr, /not a clique-guard-export file/);
  } finally {
    await t.cleanup();
    await u.cleanup();
  }
});

Deno.test({
  name:
    "clique-guard-export/-import: vault → database → vault round-trips; import only raises",
  ignore: PG_SKIP !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await tempDirs();
    const db = await createTestDb();
    try {
      await writeSeed(t.configdir, MASTER);
      const g = new CliqueGuard(
        (await openTestVault(t.configdir, MASTER)).config,
      );
      await g.admit(RAW_KEY_ADDRESS, 100n, H("11"));
      await g.reset(OTHER, 9n);
      const vaultExport = await stave(
        [
          "clique-guard-export",
          "--configdir",
          t.configdir,
          "--chainid",
          "4",
          join(t.root, "guard.json"),
        ],
        t.home,
        lines(MASTER),
      );
      strictEqual(vaultExport.code, 0, vaultExport.stderr);
      const file = join(t.root, "guard.json");
      const json = await Deno.readTextFile(file);
      const toDb = await stave(
        ["clique-guard-import", "--guard-db", db.url, file],
        t.home,
      );
      strictEqual(toDb.code, 0, toDb.stderr);
      const dbExport = await stave(
        ["clique-guard-export", "--guard-db", db.url, "-"],
        t.home,
      );
      strictEqual(dbExport.code, 0, dbExport.stderr);
      match(dbExport.stderr, /Guard database connected/);
      strictEqual(dbExport.stdout, json);
      // From stdin, into the database: lower is kept, higher raises, a
      // conflict at the same height is reported and kept.
      const rec = (number: string, sealHash: string | null) =>
        JSON.stringify({
          format: "stave-clique-guard",
          version: 1,
          records: [{
            chainId: "4",
            account: RAW_KEY_ADDRESS,
            number,
            sealHash,
          }],
        });
      const lower = await stave(
        ["clique-guard-import", "--guard-db", db.url, "-"],
        t.home,
        rec("50", H("33")),
      );
      strictEqual(lower.code, 0, lower.stderr);
      match(lower.stdout, /record kept/);
      const conflict = await stave(
        ["clique-guard-import", "--guard-db", db.url, "-"],
        t.home,
        rec("100", H("44")),
      );
      strictEqual(conflict.code, 1);
      match(conflict.stderr, /1 record\(s\) conflict/);
      const higher = await stave(
        ["clique-guard-import", "--guard-db", db.url, "-"],
        t.home,
        rec("200", H("55")),
      );
      strictEqual(higher.code, 0, higher.stderr);
      match(higher.stdout, /record raised/);
      // And back into the vault.
      const back = await stave(
        ["clique-guard-export", "--guard-db", db.url, file],
        t.home,
      );
      strictEqual(back.code, 0, back.stderr);
      const toVault = await stave(
        [
          "clique-guard-import",
          "--configdir",
          t.configdir,
          "--chainid",
          "4",
          file,
        ],
        t.home,
        lines(MASTER),
      );
      strictEqual(toVault.code, 0, toVault.stderr);
      deepStrictEqual(await g.state(RAW_KEY_ADDRESS), {
        number: 200n,
        sealHash: H("55"),
      });
      deepStrictEqual(await g.state(OTHER), { number: 9n, sealHash: null });

      // clique-guard-reset --guard-db moves the database's record back (and
      // only the record of --chainid).
      const reset = await stave(
        [
          "clique-guard-reset",
          "--guard-db",
          db.url,
          "--chainid",
          "4",
          RAW_KEY_ADDRESS,
          "150",
        ],
        t.home,
      );
      strictEqual(reset.code, 0, reset.stderr);
      match(
        reset.stdout,
        /Clique guard moved back .*from=200 .*next allowed=150/,
      );
      const after = await stave(
        ["clique-guard-export", "--guard-db", db.url, "-"],
        t.home,
      );
      const records = JSON.parse(after.stdout).records as {
        account: string;
        number: string;
        sealHash: string | null;
      }[];
      deepStrictEqual(
        records.find((r) => r.account === RAW_KEY_ADDRESS),
        {
          chainId: "4",
          account: RAW_KEY_ADDRESS,
          number: "150",
          sealHash: null,
        },
      );
      // the vault's record is untouched
      deepStrictEqual(await g.state(RAW_KEY_ADDRESS), {
        number: 200n,
        sealHash: H("55"),
      });
    } finally {
      await t.cleanup();
      await db.drop();
    }
  },
});
