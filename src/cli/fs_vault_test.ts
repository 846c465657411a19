import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { keccak } from "hash-wasm";
import { ctr, gcm } from "@noble/ciphers/aes.js";
import { scrypt } from "@noble/hashes/scrypt.js";
import { fromHex, toBase64, toHex } from "../_bytes.ts";
import { DamagedFileError } from "../errors.ts";
import { parseStoreFile } from "../vault/aes_gcm_store.ts";
import { deriveVaultKeys } from "../vault/derive.ts";
import { decryptMasterSeed, encryptMasterSeed } from "../vault/master_seed.ts";
import {
  goModeString,
  openVault,
  readMasterSeedFile,
  readPasswordFile,
  readSignerSecretFile,
  writeMasterSeedFile,
} from "./fs_vault.ts";

const SEED = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
const unix = Deno.build.os !== "windows";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stave_vault_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function modeOf(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o7777;
}

async function writeWithMode(path: string, text: string, mode: number) {
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, mode);
}

Deno.test("openVault() creates <configdir>/<vault> with mode 0700 and store files with 0600", async () => {
  await withTempDir(async (cfg) => {
    const vault = await openVault(cfg, SEED);
    strictEqual(vault.dir, join(cfg, deriveVaultKeys(SEED).dirName));
    const info = await Deno.stat(vault.dir);
    ok(info.isDirectory);
    if (unix) strictEqual(info.mode! & 0o777, 0o700);
    await vault.credentials.put(
      "0xD9C9Cd5f6779558b6e0eD4e6Acf6b1947E7fA1F3",
      "keystore pw",
    );
    await vault.config.put("ruleset_sha256", "ab".repeat(32));
    await vault.jsStorage.put("counter", "1");
    for (const f of ["credentials.json", "config.json", "jsstorage.json"]) {
      if (unix) strictEqual(await modeOf(join(vault.dir, f)), 0o600, f);
    }
    deepStrictEqual(
      (await Array.fromAsync(Deno.readDir(vault.dir))).map((e) => e.name)
        .sort(),
      [
        ".config.json.lock",
        ".credentials.json.lock",
        ".jsstorage.json.lock",
        "config.json",
        "credentials.json",
        "jsstorage.json",
      ],
    );
    // A second opening (folder exists) sees the same data.
    const again = await openVault(cfg, SEED);
    strictEqual(
      await again.credentials.get("0xD9C9Cd5f6779558b6e0eD4e6Acf6b1947E7fA1F3"),
      "keystore pw",
    );
    strictEqual(await again.config.get("ruleset_sha256"), "ab".repeat(32));
    strictEqual(await again.jsStorage.get("counter"), "1");
    // The stores use different keys: a record copied across fails.
    strictEqual(await again.jsStorage.get("ruleset_sha256"), undefined);
  });
});

Deno.test("openVault() keeps an existing store file's mode on rewrite", async () => {
  if (!unix) return;
  await withTempDir(async (cfg) => {
    const vault = await openVault(cfg, SEED);
    await vault.config.put("a", "1");
    const path = join(vault.dir, "config.json");
    await Deno.chmod(path, 0o640);
    await vault.config.put("b", "2");
    strictEqual(await modeOf(path), 0o640);
    strictEqual(await vault.config.get("a"), "1");
  });
});

Deno.test("openVault() fails when the config folder is missing (single-level mkdir)", async () => {
  await withTempDir(async (tmp) => {
    await rejects(openVault(join(tmp, "missing"), SEED), Deno.errors.NotFound);
  });
});

Deno.test("openVault() 100 parallel puts through two handles all land", async () => {
  await withTempDir(async (cfg) => {
    const a = await openVault(cfg, SEED);
    const b = await openVault(cfg, SEED);
    await Promise.all(
      Array.from(
        { length: 100 },
        (_, i) => (i % 2 ? a : b).jsStorage.put(`key${i}`, `value${i}`),
      ),
    );
    const file = await Deno.readFile(join(a.dir, "jsstorage.json"));
    strictEqual(parseStoreFile(file).size, 100);
    for (let i = 0; i < 100; i++) {
      strictEqual(await a.jsStorage.get(`key${i}`), `value${i}`);
    }
    // No temp files are left behind (the lock file stays).
    deepStrictEqual(
      (await Array.fromAsync(Deno.readDir(a.dir))).map((e) => e.name).sort(),
      [".jsstorage.json.lock", "jsstorage.json"],
    );
  });
});

Deno.test("openVault() a damaged store file is named in the error and left untouched", async () => {
  await withTempDir(async (cfg) => {
    const vault = await openVault(cfg, SEED);
    const path = join(vault.dir, "credentials.json");
    await writeWithMode(path, '{"0xabc":{"iv":"AAAA', 0o600);
    for (
      const op of [
        () => vault.credentials.get("0xabc"),
        () => vault.credentials.put("0xabc", "x"),
        () => vault.credentials.del("0xabc"),
      ]
    ) {
      await rejects(
        op(),
        (e: unknown) =>
          e instanceof DamagedFileError && e.path === path &&
          e.message.startsWith(`${path}: `),
      );
    }
    strictEqual(await Deno.readTextFile(path), '{"0xabc":{"iv":"AAAA');
  });
});

Deno.test("openVault() a tampered record fails alone; a put keeps it", async () => {
  await withTempDir(async (cfg) => {
    const vault = await openVault(cfg, SEED);
    await vault.jsStorage.put("a", "1");
    await vault.jsStorage.put("b", "2");
    const path = join(vault.dir, "jsstorage.json");
    const text = await Deno.readTextFile(path);
    const m = parseStoreFile(new TextEncoder().encode(text));
    const c = m.get("a")!.c!;
    const tampered = text.replace(
      /"a":\{"iv":"([^"]*)","c":"(.)/,
      (_all, iv, ch) => `"a":{"iv":"${iv}","c":"${ch === "A" ? "B" : "A"}`,
    );
    ok(tampered !== text && c.length > 0);
    await Deno.writeTextFile(path, tampered);
    await rejects(vault.jsStorage.get("a"), {
      message: `${path}: "a": cipher: message authentication failed`,
    });
    strictEqual(await vault.jsStorage.get("b"), "2");
    await vault.jsStorage.put("c", "3");
    const after = await Deno.readTextFile(path);
    ok(after.includes(tampered.slice(1, tampered.indexOf("},") + 1)));
    strictEqual(await vault.jsStorage.get("c"), "3");
  });
});

Deno.test("readMasterSeedFile() applies clef's checks with clef's texts", async () => {
  await withTempDir(async (dir) => {
    const missing = join(dir, "masterseed.json");
    await rejects(readMasterSeedFile(missing), {
      message:
        `failed stat on ${missing}: stat ${missing}: no such file or directory`,
    });
    const notDir = join(dir, "file");
    await Deno.writeTextFile(notDir, "x");
    const below = join(notDir, "masterseed.json");
    await rejects(readMasterSeedFile(below), {
      message: `failed stat on ${below}: stat ${below}: not a directory`,
    });
    if (!unix) return;
    const path = join(dir, "seed.json");
    for (
      const [mode, str] of [
        [0o644, "-rw-r--r--"],
        [0o600, "-rw-------"],
        [0o440, "-r--r-----"],
        [0o404, "-r-----r--"],
        [0o500, "-r-x------"],
      ] as const
    ) {
      await writeWithMode(path, "{}", mode);
      await rejects(readMasterSeedFile(path), {
        message: `file (${path}) has insecure file permissions (${str})`,
      });
    }
    await Deno.chmod(path, 0o400);
    strictEqual(await readMasterSeedFile(path), "{}");
    await Deno.chmod(dir, 0o700);
    await rejects(readMasterSeedFile(dir), {
      message: `file (${dir}) has insecure file permissions (drwx------)`,
    });
  });
});

Deno.test("goModeString() renders Go's FileMode.String()", async () => {
  if (!unix) return;
  await withTempDir(async (dir) => {
    await Deno.chmod(dir, 0o700);
    strictEqual(goModeString(await Deno.stat(dir)), "drwx------");
    const f = join(dir, "f");
    await writeWithMode(f, "", 0o4755);
    strictEqual(goModeString(await Deno.stat(f)), "urwxr-xr-x");
    await Deno.chmod(dir, 0o1777);
    strictEqual(goModeString(await Deno.stat(dir)), "dtrwxrwxrwx");
    await Deno.chmod(dir, 0o700);
  });
});

Deno.test("readPasswordFile() returns the first line and checks others' permissions", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "pw");
    const cases: [string, string][] = [
      ["secret\n", "secret"],
      ["secret\r\nsecond line\n", "secret"],
      ["no newline", "no newline"],
      [" spaces kept \n", " spaces kept "],
      ["pässwörd\n", "pässwörd"],
    ];
    for (const [text, want] of cases) {
      await writeWithMode(path, text, 0o600);
      strictEqual(await readPasswordFile(path), want);
    }
    for (const text of ["", "\n", "\r\nsecret\n"]) {
      await writeWithMode(path, text, 0o600);
      await rejects(readPasswordFile(path), {
        message: `password file ${path} has an empty first line`,
      });
    }
    if (unix) {
      await writeWithMode(path, "secret\n", 0o440);
      strictEqual(await readPasswordFile(path), "secret");
      await Deno.chmod(path, 0o640);
      strictEqual(await readPasswordFile(path), "secret");
      for (
        const [mode, str] of [[0o604, "-rw----r--"], [
          0o602,
          "-rw-----w-",
        ]] as const
      ) {
        await Deno.chmod(path, mode);
        await rejects(readPasswordFile(path), {
          message: `file (${path}) has insecure file permissions (${str})`,
        });
      }
    }
    const missing = join(dir, "nope");
    await rejects(readPasswordFile(missing), {
      message:
        `failed stat on ${missing}: stat ${missing}: no such file or directory`,
    });
  });
});

Deno.test("readSignerSecretFile() tells a seed from a password file, each with its own mode rule", async () => {
  await withTempDir(async (dir) => {
    const seedText = await encryptMasterSeed(SEED, "pw", {
      scryptN: 16,
      scryptP: 1,
    });
    const seedPath = join(dir, "seed.json");
    await writeWithMode(seedPath, seedText, 0o400);
    deepStrictEqual(await readSignerSecretFile(seedPath), {
      kind: "seed",
      text: seedText,
    });
    const pwPath = join(dir, "pw");
    await writeWithMode(pwPath, "master password\n", 0o440);
    deepStrictEqual(await readSignerSecretFile(pwPath), {
      kind: "password",
      password: "master password",
    });
    if (unix) {
      await Deno.chmod(seedPath, 0o440);
      await rejects(readSignerSecretFile(seedPath), {
        message:
          `file (${seedPath}) has insecure file permissions (-r--r-----)`,
      });
      await Deno.chmod(pwPath, 0o444);
      await rejects(readSignerSecretFile(pwPath), /insecure file permissions/);
    }
  });
});

Deno.test("writeMasterSeedFile() creates mode 0400 and refuses to overwrite", async () => {
  await withTempDir(async (cfg) => {
    const path = join(cfg, "masterseed.json");
    const text = await encryptMasterSeed(SEED, "pw", {
      scryptN: 16,
      scryptP: 1,
    });
    await writeMasterSeedFile(path, text);
    strictEqual(await Deno.readTextFile(path), text);
    if (unix) strictEqual(await modeOf(path), 0o400);
    await rejects(writeMasterSeedFile(path, "other"), {
      message: `master key ${path} already exists, will not overwrite`,
    });
    strictEqual(await Deno.readTextFile(path), text);
    deepStrictEqual(
      (await Array.fromAsync(Deno.readDir(cfg))).map((e) => e.name),
      ["masterseed.json"],
    );
    // The written file passes clef's own check and decrypts.
    const seed = await decryptMasterSeed(await readMasterSeedFile(path), "pw");
    deepStrictEqual(seed, SEED);
  });
});

Deno.test("openVault() reads a config folder built with independent primitives (clef layout)", async () => {
  const enc = new TextEncoder();
  const K = async (label: string) =>
    fromHex(await keccak(new Uint8Array([...enc.encode(label), ...SEED]), 256));
  await withTempDir(async (cfg) => {
    // masterseed.json as clef writes it (spec §2.1), scrypt N=16 for speed.
    const salt = new Uint8Array(32).fill(0x11);
    const iv = new Uint8Array(16).fill(0x22);
    const dk = scrypt(enc.encode("master pw"), salt, {
      N: 16,
      r: 8,
      p: 1,
      dkLen: 32,
    });
    const ct = ctr(dk.subarray(0, 16), iv).encrypt(SEED);
    const mac = fromHex(
      await keccak(new Uint8Array([...dk.subarray(16), ...ct]), 256),
    );
    const seedText =
      `{"description":"Clef seed","version":1,"params":{"cipher":"aes-128-ctr","ciphertext":"${
        toHex(ct)
      }","cipherparams":{"iv":"${
        toHex(iv)
      }"},"kdf":"scrypt","kdfparams":{"dklen":32,"n":16,"p":1,"r":8,"salt":"${
        toHex(salt)
      }"},"mac":"${toHex(mac)}"}}`;
    await writeWithMode(join(cfg, "masterseed.json"), seedText, 0o400);
    // <vault>/config.json and credentials.json sealed with @noble/ciphers.
    const vaultDir = join(cfg, toHex((await K("vault")).subarray(0, 10)));
    await Deno.mkdir(vaultDir, { mode: 0o700 });
    const record = async (label: string, key: string, value: string) => {
      const nonce = new Uint8Array(12).fill(label.length);
      const c = gcm(await K(label), nonce, enc.encode(key)).encrypt(
        enc.encode(value),
      );
      return `{${JSON.stringify(key)}:{"iv":"${toBase64(nonce)}","c":"${
        toBase64(c)
      }"}}`;
    };
    const addr = "0xD9C9Cd5f6779558b6e0eD4e6Acf6b1947E7fA1F3";
    await writeWithMode(
      join(vaultDir, "config.json"),
      await record("config", "ruleset_sha256", "cd".repeat(32)),
      0o600,
    );
    await writeWithMode(
      join(vaultDir, "credentials.json"),
      await record("credentials", addr, "account pw"),
      0o600,
    );
    await writeWithMode(
      join(vaultDir, "jsstorage.json"),
      await record("jsstorage", "seen", "true"),
      0o600,
    );

    const seed = await decryptMasterSeed(
      await readMasterSeedFile(join(cfg, "masterseed.json")),
      "master pw",
    );
    deepStrictEqual(seed, SEED);
    const vault = await openVault(cfg, seed);
    strictEqual(vault.dir, vaultDir);
    strictEqual(await vault.config.get("ruleset_sha256"), "cd".repeat(32));
    strictEqual(await vault.credentials.get(addr), "account pw");
    strictEqual(await vault.jsStorage.get("seen"), "true");
    strictEqual(await vault.credentials.get(addr.toLowerCase()), undefined);
  });
});
