import {
  deepStrictEqual,
  match,
  ok,
  rejects,
  strictEqual,
} from "node:assert/strict";
import { join } from "node:path";
import { fromHex, to0xHex } from "../_bytes.ts";
import { DecryptError, StaveError, UnknownAccountError } from "../errors.ts";
import { decryptKeyV3 } from "../keystore/v3.ts";
import { FsKeyStore } from "./fs_key_dir.ts";

const fixture = new URL("../../testdata/keystore/keystore/", import.meta.url);
const TINY = { scryptN: 16, scryptP: 1 };
const UTC_FILE =
  "UTC--2016-03-22T12-57-55.920751759Z--7ef5a6135f1fd6a02593eedc869c6d41d934aef8";

/** Copies geth's fixture folder to a temp dir, adding `swapfile~` etc. */
async function fixtureCopy(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "stave_ks_" });
  const copy = async (from: URL, to: string) => {
    for await (const e of Deno.readDir(from)) {
      if (e.isDirectory) {
        await Deno.mkdir(join(to, e.name));
        await copy(new URL(e.name + "/", from), join(to, e.name));
      } else {
        await Deno.copyFile(new URL(e.name, from), join(to, e.name));
      }
    }
  };
  await copy(fixture, dir);
  const aaa = await Deno.readTextFile(join(dir, "aaa"));
  // geth's `swapfile~` (not stored in the repo) and a second hidden file.
  await Deno.writeTextFile(join(dir, "swapfile~"), aaa);
  await Deno.writeTextFile(join(dir, ".hiddenfile2"), aaa);
  // A symlink to a good key file is skipped (not a regular file).
  await Deno.symlink(join(dir, "aaa"), join(dir, "link-to-aaa"));
  return dir;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await fixtureCopy();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("FsKeyStore.accounts() lists exactly geth's 3 loadable fixture keys", async () => {
  await withDir(async (dir) => {
    const skipped: string[] = [];
    const ks = new FsKeyStore(dir, {
      ...TINY,
      onSkip: (p) => skipped.push(p.slice(dir.length + 1)),
    });
    const accounts = await ks.accounts();
    deepStrictEqual(accounts, [
      {
        address: "0x7ef5a6135f1fd6a02593eedc869c6d41d934aef8",
        url: `keystore://${join(dir, UTC_FILE)}`,
        path: join(dir, UTC_FILE),
      },
      {
        address: "0xf466859ead1932d743d622cb74fc058882e8648a",
        url: `keystore://${join(dir, "aaa")}`,
        path: join(dir, "aaa"),
      },
      {
        address: "0x289d485d9771714cce91d3393d764e1311907acc",
        url: `keystore://${join(dir, "zzz")}`,
        path: join(dir, "zzz"),
      },
    ]);
    // Opened but ignored; the rest were skipped by name or type unread.
    deepStrictEqual(skipped.sort(), [
      "README",
      "empty",
      "garbage",
      "no-address",
      "zero",
    ]);
  });
});

Deno.test("FsKeyStore.decryptKey() decrypts the fixture keys with foobar", async () => {
  await withDir(async (dir) => {
    const ks = new FsKeyStore(dir, TINY);
    for (const a of await ks.accounts()) {
      const key = await ks.decryptKey(fromHex(a.address), "foobar");
      strictEqual(key.length, 32);
    }
    await rejects(
      ks.decryptKey(fromHex("f466859ead1932d743d622cb74fc058882e8648a"), "x"),
      DecryptError,
    );
    await rejects(
      ks.decryptKey(new Uint8Array(20).fill(1), "foobar"),
      UnknownAccountError,
    );
  });
});

Deno.test("FsKeyStore.find() reports duplicate files sorted by URL", async () => {
  await withDir(async (dir) => {
    await Deno.copyFile(join(dir, "aaa"), join(dir, "bbb"));
    const ks = new FsKeyStore(dir, TINY);
    const addr = fromHex("f466859ead1932d743d622cb74fc058882e8648a");
    strictEqual((await ks.accounts()).length, 4);
    await rejects(ks.find(addr), (err: unknown) => {
      ok(err instanceof StaveError);
      strictEqual(
        (err as Error).message,
        `multiple keys match address (${join(dir, "aaa")}, ${
          join(dir, "bbb")
        })`,
      );
      return true;
    });
    await rejects(ks.decryptKey(addr, "foobar"), /multiple keys match/);
    strictEqual(
      await ks.find(fromHex("289d485d9771714cce91d3393d764e1311907acc")),
      join(dir, "zzz"),
    );
  });
});

Deno.test("FsKeyStore.decryptKey() refuses a file holding another key", async () => {
  await withDir(async (dir) => {
    // zzz's crypto under aaa's address: selected for aaa, decrypts to zzz.
    const zzz = JSON.parse(await Deno.readTextFile(join(dir, "zzz")));
    zzz.address = "1111111111111111111111111111111111111111";
    await Deno.writeTextFile(join(dir, "swapped"), JSON.stringify(zzz));
    const ks = new FsKeyStore(dir, TINY);
    await rejects(
      ks.decryptKey(fromHex(zzz.address), "foobar"),
      {
        message:
          "key content mismatch: have account 289d485d9771714cce91d3393d764e1311907acc, want 1111111111111111111111111111111111111111",
      },
    );
  });
});

Deno.test("FsKeyStore lists a broken key file; it fails only on use", async () => {
  await withDir(async (dir) => {
    const broken = JSON.parse(await Deno.readTextFile(join(dir, "aaa")));
    broken.address = "2222222222222222222222222222222222222222";
    broken.crypto.cipher = "aes-256-gcm";
    await Deno.writeTextFile(join(dir, "broken"), JSON.stringify(broken));
    const ks = new FsKeyStore(dir, TINY);
    ok((await ks.accounts()).some((a) => a.path === join(dir, "broken")));
    await rejects(ks.decryptKey(fromHex(broken.address), "foobar"), {
      message: "cipher not supported: aes-256-gcm",
    });
  });
});

Deno.test("FsKeyStore picks up new, changed and removed files on rescan", async () => {
  await withDir(async (dir) => {
    const ks = new FsKeyStore(dir, { ...TINY, rescanIntervalMs: 3_600_000 });
    strictEqual((await ks.accounts()).length, 3);
    const aaa = await Deno.readTextFile(join(dir, "aaa"));
    const other = aaa.replace(
      "f466859ead1932d743d622cb74fc058882e8648a",
      "3333333333333333333333333333333333333333",
    );
    await Deno.writeTextFile(join(dir, "dropped-in"), other);
    // Within the rescan interval the cached list is served ...
    strictEqual((await ks.accounts()).length, 3);
    // ... and refresh() rescans on demand.
    await ks.refresh();
    ok(
      (await ks.accounts()).some((a) =>
        a.address === "0x3333333333333333333333333333333333333333"
      ),
    );
    // A file rewritten in place is re-read.
    // (Change detection is by mtime, size and inode, as geth's is by mtime:
    // a same-size rewrite within one millisecond would go unnoticed.)
    await Deno.writeTextFile(
      join(dir, "dropped-in"),
      other.replaceAll("3", "4") + " ",
    );
    await ks.refresh();
    const addrs = (await ks.accounts()).map((a) => a.address);
    ok(addrs.includes("0x4444444444444444444444444444444444444444"));
    ok(!addrs.includes("0x3333333333333333333333333333333333333333"));
    await Deno.remove(join(dir, "zzz"));
    await ks.refresh();
    strictEqual((await ks.accounts()).length, 3);
    ok(
      !(await ks.hasAddress(
        fromHex("289d485d9771714cce91d3393d764e1311907acc"),
      )),
    );
    // With interval 0 every query rescans (geth: 2 s by default).
    const eager = new FsKeyStore(dir, { ...TINY, rescanIntervalMs: 0 });
    strictEqual((await eager.accounts()).length, 3);
    await Deno.writeTextFile(
      join(dir, "zzz"),
      await Deno.readTextFile(join(dir, "aaa")),
    );
    strictEqual((await eager.accounts()).length, 4);
  });
});

Deno.test("FsKeyStore.newAccount() writes a 0600 file in a new 0700 folder", async () => {
  const base = await Deno.makeTempDir({ prefix: "stave_ks_" });
  try {
    const dir = join(base, "a", "keystore");
    const ks = new FsKeyStore(dir, {
      ...TINY,
      now: () => new Date(Date.UTC(2024, 4, 6, 7, 8, 9, 10)),
    });
    strictEqual((await ks.accounts()).length, 0); // missing folder: empty
    const acc = await ks.newAccount("pw");
    match(acc.address, /^0x[0-9a-f]{40}$/);
    strictEqual(
      acc.path,
      join(dir, `UTC--2024-05-06T07-08-09.010000000Z--${acc.address.slice(2)}`),
    );
    strictEqual(acc.url, `keystore://${acc.path}`);
    strictEqual((await Deno.stat(join(base, "a"))).mode! & 0o777, 0o700);
    strictEqual((await Deno.stat(dir)).mode! & 0o777, 0o700);
    strictEqual((await Deno.stat(acc.path)).mode! & 0o777, 0o600);
    const text = await Deno.readTextFile(acc.path);
    ok(!text.includes("\n"));
    match(
      text,
      /^\{"address":"[0-9a-f]{40}","crypto":\{"cipher":"aes-128-ctr",/,
    );
    const k = await decryptKeyV3(text, "pw");
    strictEqual(to0xHex(k.address), acc.address);
    // Visible at once, without waiting for a rescan; no temp files left.
    deepStrictEqual(await ks.accounts(), [acc]);
    deepStrictEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name),
      [acc.path.slice(dir.length + 1)],
    );
    deepStrictEqual(
      await ks.decryptKey(fromHex(acc.address), "pw"),
      k.privateKey,
    );
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("FsKeyStore.newAccount() sets modes exactly under any umask", async () => {
  // Deno.umask needs --allow-sys, so a child process runs with umask 0277
  // (which alone would give 0400 files and 0500 folders) and 0000.
  for (const umask of ["0277", "0000"]) {
    const base = await Deno.makeTempDir({ prefix: "stave_ks_" });
    try {
      const dir = join(base, "x", "keystore");
      const mod = new URL("./fs_key_dir.ts", import.meta.url).href;
      const code = `const { FsKeyStore } = await import(${JSON.stringify(mod)});
        const a = await new FsKeyStore(${
        JSON.stringify(dir)
      }, { scryptN: 16, scryptP: 1 }).newAccount("pw");
        console.log(a.path);`;
      const out = await new Deno.Command("sh", {
        args: [
          "-c",
          `umask ${umask} && exec "$0" eval --quiet "$1"`,
          Deno.execPath(),
          code,
        ],
        cwd: new URL("../../", import.meta.url),
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(out.stderr);
      strictEqual(out.code, 0, err);
      const path = new TextDecoder().decode(out.stdout).trim();
      strictEqual((await Deno.stat(join(base, "x"))).mode! & 0o777, 0o700);
      strictEqual((await Deno.stat(dir)).mode! & 0o777, 0o700);
      strictEqual((await Deno.stat(path)).mode! & 0o777, 0o600);
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  }
});

Deno.test("FsKeyStore.newAccount() leaves an existing folder's mode alone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stave_ks_" });
  try {
    await Deno.chmod(dir, 0o750);
    await new FsKeyStore(dir, TINY).newAccount("pw");
    strictEqual((await Deno.stat(dir)).mode! & 0o777, 0o750);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FsKeyStore.importKey() refuses duplicates and keeps a UUID", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stave_ks_" });
  try {
    const ks = new FsKeyStore(dir, TINY);
    const key = fromHex(
      "0102030405060708090a0102030405060708090a0102030405060708090a0102",
    );
    const acc = await ks.importKey(key, "pw", {
      id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
    });
    strictEqual(acc.address, "0x9160dc9105f7de5dc5e7f3d97ef11da47269bda6");
    const k = await decryptKeyV3(
      await ks.readKeyFile(fromHex(acc.address)),
      "pw",
    );
    strictEqual(k.id, "3198bc9c-6672-5ab3-d995-4942343ae5b6");
    deepStrictEqual(k.privateKey, key);
    await rejects(ks.importKey(key, "other"), {
      name: "StaveError",
      message: "account already exists",
    });
    // A second store on the same folder sees the file too.
    await rejects(new FsKeyStore(dir, TINY).importKey(key, "x"), {
      message: "account already exists",
    });
    // Concurrent imports of one key: exactly one wins.
    const dir2 = join(dir, "sub");
    const ks2 = new FsKeyStore(dir2, TINY);
    const results = await Promise.allSettled([
      ks2.importKey(key, "a"),
      ks2.importKey(key, "b"),
    ]);
    strictEqual(results.filter((r) => r.status === "fulfilled").length, 1);
    strictEqual((await ks2.accounts()).length, 1);
    await rejects(ks.importKey(new Uint8Array(32), "pw"), {
      message: "invalid private key, zero or negative",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('FsKeyStore constructed with "" is disabled', async () => {
  const ks = new FsKeyStore("", TINY);
  strictEqual(ks.disabled, true);
  strictEqual(ks.dir, "");
  deepStrictEqual(await ks.accounts(), []);
  await rejects(ks.newAccount("pw"), {
    message: "password based accounts not supported",
  });
  await rejects(ks.importKey(new Uint8Array(32).fill(1), "pw"), {
    message: "password based accounts not supported",
  });
  await rejects(ks.find(new Uint8Array(20)), UnknownAccountError);
});

Deno.test("FsKeyStore makes a relative folder absolute", () => {
  const ks = new FsKeyStore("rel/keys", TINY);
  strictEqual(ks.dir, join(Deno.cwd(), "rel/keys"));
  strictEqual(ks.disabled, false);
});

Deno.test("FsKeyStore keeps geth's verify-after-write failure text and temp file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stave_ks_" });
  try {
    // A password whose bytes change between encryption and verification.
    let calls = 0;
    class Fickle extends Uint8Array {
      override slice(): Uint8Array<ArrayBuffer> {
        calls++;
        return new TextEncoder().encode(calls === 1 ? "right" : "wrong");
      }
    }
    const ks = new FsKeyStore(dir, TINY);
    await rejects(
      ks.importKey(new Uint8Array(32).fill(1), new Fickle(1)),
      (err: unknown) => {
        ok(err instanceof StaveError);
        const msg = (err as Error).message;
        ok(
          msg.startsWith(
            "An error was encountered when saving and verifying the keystore file. \n" +
              "This indicates that the keystore is corrupted. \n" +
              "The corrupted file is stored at \n" + dir + "/.UTC--",
          ),
          msg,
        );
        ok(
          msg.endsWith(
            "\nPlease file a ticket at:\n\nhttps://github.com/ethereum/go-ethereum/issues." +
              "The error was : could not decrypt key with given password",
          ),
          msg,
        );
        return true;
      },
    );
    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    strictEqual(names.length, 1);
    match(names[0], /^\.UTC--.*--[0-9a-f]{40}\.tmp[0-9a-f]+$/);
    deepStrictEqual(await ks.accounts(), []); // temp file is hidden
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FsKeyStore keeps the previous list when the folder cannot be read", async () => {
  const base = await Deno.makeTempDir({ prefix: "stave_ks_" });
  try {
    const file = join(base, "not-a-folder");
    await Deno.writeTextFile(file, "x");
    const errors: string[] = [];
    const ks = new FsKeyStore(file, { ...TINY, onSkip: (p) => errors.push(p) });
    deepStrictEqual(await ks.accounts(), []);
    deepStrictEqual(errors, [file]);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("FsKeyStore.fileStamp() changes when the file changes or goes away", async () => {
  await withDir(async (dir) => {
    const ks = new FsKeyStore(dir, { ...TINY, rescanIntervalMs: 3_600_000 });
    const path = join(dir, "aaa");
    const before = await ks.fileStamp(path);
    ok(before);
    strictEqual(await ks.fileStamp(path), before);
    await Deno.writeTextFile(path, (await Deno.readTextFile(path)) + " ");
    const after = await ks.fileStamp(path);
    ok(after && after !== before);
    await Deno.remove(path);
    strictEqual(await ks.fileStamp(path), undefined);
    strictEqual(await ks.fileStamp(join(dir, "foo")), undefined); // a folder
  });
});
