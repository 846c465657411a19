import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { CliqueGuard } from "../api/clique_guard.ts";
import { AesGcmStore, parseStoreFile } from "../vault/aes_gcm_store.ts";
import {
  fsStoreFile,
  lockFilePath,
  openVault,
  storeFileLock,
} from "./fs_vault.ts";

const KEY = new Uint8Array(32).fill(7);
const SEED = Uint8Array.from({ length: 256 }, (_, i) => i);
const A = "0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stave_lock_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * A store as another process opens it: its own lock instance (its own
 * mutex and its own open file description of the lock file, which flock
 * treats like another process's).
 */
function otherProcessStore(path: string): AesGcmStore {
  return new AesGcmStore(fsStoreFile(path), KEY, {
    runExclusive: storeFileLock(path),
  });
}

Deno.test("storeFileLock() excludes another lock of the same file: 2 x 40 parallel puts all land", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "config.json");
    const a = otherProcessStore(path);
    const b = otherProcessStore(path);
    await Promise.all(
      Array.from(
        { length: 80 },
        (_, i) => (i % 2 ? a : b).put(`key${i}`, `value${i}`),
      ),
    );
    strictEqual(parseStoreFile(await Deno.readFile(path)).size, 80);
    for (let i = 0; i < 80; i++) {
      strictEqual(await a.get(`key${i}`), `value${i}`);
    }
  });
});

Deno.test("storeFileLock() the Clique guard record never moves back under another writer's puts", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "config.json");
    const guard = new CliqueGuard(otherProcessStore(path));
    const attest = otherProcessStore(path);
    const admits = (async () => {
      for (let n = 1n; n <= 60n; n++) {
        await guard.admit(A, n, "0x" + n.toString(16).padStart(64, "0"));
      }
    })();
    const puts = (async () => {
      for (let i = 0; i < 60; i++) await attest.put("ruleset_sha256", `${i}`);
    })();
    await Promise.all([admits, puts]);
    deepStrictEqual(await guard.state(A), {
      number: 60n,
      sealHash: "0x" + (60).toString(16).padStart(64, "0"),
    });
    strictEqual(await attest.get("ruleset_sha256"), "59");
  });
});

Deno.test("storeFileLock() gives up with a clear error while another process holds the lock", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "config.json");
    const holder = await Deno.open(lockFilePath(path), {
      read: true,
      write: true,
      create: true,
    });
    await holder.lock(true);
    const store = new AesGcmStore(fsStoreFile(path), KEY, {
      runExclusive: storeFileLock(path, { timeoutMs: 200 }),
    });
    try {
      await rejects(store.put("k", "v"), {
        message:
          `the vault is locked by another process: waited 0.2 s for ${dir}/.config.json.lock`,
      });
      strictEqual(await store.get("k"), undefined);
    } finally {
      holder.close();
    }
    // The lock that timed out is released once its flock returns.
    await store.put("k", "v");
    strictEqual(await store.get("k"), "v");
  });
});

Deno.test("storeFileLock() creates the lock file 0600 and removes stale temp files of its store only", async () => {
  await withTempDir(async (cfg) => {
    const vault = await openVault(cfg, SEED);
    const names = [
      ".config.json.tmp0123456789abcdef", // left by a killed write
      ".config.json.tmpfedcba9876543210",
      ".config.json.tmp-not-ours",
      ".jsstorage.json.tmp0123456789abcdef", // another store's
      "notes.txt",
    ];
    for (const n of names) await Deno.writeTextFile(join(vault.dir, n), "x");
    await vault.config.put("ruleset_sha256", "abc");
    const left = (await Array.fromAsync(Deno.readDir(vault.dir)))
      .map((e) => e.name).sort();
    deepStrictEqual(left, [
      ".config.json.lock",
      ".config.json.tmp-not-ours",
      ".jsstorage.json.tmp0123456789abcdef",
      "config.json",
      "notes.txt",
    ]);
    if (Deno.build.os !== "windows") {
      const mode = (await Deno.stat(join(vault.dir, ".config.json.lock")))
        .mode! & 0o777;
      ok((mode & 0o077) === 0, `lock file mode ${mode.toString(8)}`);
    }
    // A reader takes no lock and removes nothing.
    await Deno.writeTextFile(
      join(vault.dir, ".config.json.tmp0000000000000000"),
      "x",
    );
    strictEqual(await vault.config.get("ruleset_sha256"), "abc");
    ok(
      (await Array.fromAsync(Deno.readDir(vault.dir))).some((e) =>
        e.name === ".config.json.tmp0000000000000000"
      ),
    );
  });
});
