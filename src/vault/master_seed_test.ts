import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { scrypt } from "@noble/hashes/scrypt.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { ctr } from "@noble/ciphers/aes.js";
import { toHex } from "../_bytes.ts";
import { StaveError } from "../errors.ts";
import {
  decryptMasterSeed,
  encryptMasterSeed,
  isMasterSeedFile,
} from "./master_seed.ts";

const SALT = Uint8Array.from({ length: 32 }, (_, i) => i);
const IV = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 + i);
const SEED = Uint8Array.from({ length: 256 }, (_, i) => (i * 7 + 3) & 0xff);
const FAST = { scryptN: 16, scryptP: 1 };

/** The §2.1 text computed with @noble primitives as an independent oracle. */
function oracleSeedFile(
  seed: Uint8Array,
  password: string,
  n: number,
  p: number,
): string {
  const dk = scrypt(new TextEncoder().encode(password), SALT, {
    N: n,
    r: 8,
    p,
    dkLen: 32,
  });
  const ct = ctr(dk.subarray(0, 16), IV).encrypt(seed);
  const mac = keccak_256(new Uint8Array([...dk.subarray(16, 32), ...ct]));
  return `{"description":"Clef seed","version":1,"params":{"cipher":"aes-128-ctr","ciphertext":"${
    toHex(ct)
  }","cipherparams":{"iv":"${
    toHex(IV)
  }"},"kdf":"scrypt","kdfparams":{"dklen":32,"n":${n},"p":${p},"r":8,"salt":"${
    toHex(SALT)
  }"},"mac":"${toHex(mac)}"}}`;
}

Deno.test("encryptMasterSeed() writes the exact masterseed.json text", async () => {
  const text = await encryptMasterSeed(SEED, "a master pw", {
    ...FAST,
    salt: SALT,
    iv: IV,
  });
  strictEqual(text, oracleSeedFile(SEED, "a master pw", 16, 1));
  ok(!text.endsWith("\n"));
  const p6 = await encryptMasterSeed(SEED, "pw", {
    scryptN: 16,
    scryptP: 6,
    salt: SALT,
    iv: IV,
  });
  strictEqual(p6, oracleSeedFile(SEED, "pw", 16, 6));
});

Deno.test("decryptMasterSeed() round-trips, with random salt and iv", async () => {
  for (const pw of ["", "pässwörd", "0123456789"]) {
    const text = await encryptMasterSeed(SEED, pw, FAST);
    deepStrictEqual(await decryptMasterSeed(text, pw), SEED);
  }
  const long = new Uint8Array(300).fill(1);
  deepStrictEqual(
    await decryptMasterSeed(await encryptMasterSeed(long, "x", FAST), "x"),
    long,
  );
});

Deno.test("decryptMasterSeed() reads an oracle-built file", async () => {
  deepStrictEqual(
    await decryptMasterSeed(oracleSeedFile(SEED, "pw", 16, 2), "pw"),
    SEED,
  );
});

Deno.test("decryptMasterSeed() reports every failure as clef's single message", async () => {
  const good = await encryptMasterSeed(SEED, "pw", {
    ...FAST,
    salt: SALT,
    iv: IV,
  });
  const msg = { message: "failed to decrypt the master seed of clef" };
  const cases = [
    good.replace(/"mac":"(.)/, (_m, c) => `"mac":"${c === "0" ? "1" : "0"}`),
    good.slice(0, -1),
    "",
    "null",
    "[]",
    good.replace('"version":1', '"version":"1"'),
    good.replace('"aes-128-ctr"', '"aes-128-cbc"'),
    good.replace('"kdf":"scrypt"', '"kdf":"bcrypt"'),
    '{"description":"Clef seed","version":1,"params":null}',
  ];
  for (const text of cases) {
    const err = await decryptMasterSeed(text, "pw").then(
      () => undefined,
      (e) => e,
    );
    ok(err instanceof StaveError, text);
    strictEqual(err.message, msg.message);
  }
  await rejects(decryptMasterSeed(good, "wrong"), msg);
});

Deno.test("decryptMasterSeed() warns about version != 1 and still decrypts", async () => {
  const good = await encryptMasterSeed(SEED, "pw", FAST);
  const warnings: string[] = [];
  const seed = await decryptMasterSeed(
    good.replace('"version":1', '"version":2'),
    "pw",
    {
      onWarning: (m) => warnings.push(m),
    },
  );
  deepStrictEqual(seed, SEED);
  deepStrictEqual(warnings, [
    "unsupported encryption format of seed: 2, operation will likely fail",
  ]);
  warnings.length = 0;
  await decryptMasterSeed(good, "pw", { onWarning: (m) => warnings.push(m) });
  strictEqual(warnings.length, 0);
  const noVersion = good.replace('"version":1,', "");
  await decryptMasterSeed(noVersion, "pw", {
    onWarning: (m) => warnings.push(m),
  });
  deepStrictEqual(warnings, [
    "unsupported encryption format of seed: 0, operation will likely fail",
  ]);
});

Deno.test("decryptMasterSeed() matches field names case-insensitively, as Go", async () => {
  const good = await encryptMasterSeed(SEED, "pw", FAST);
  deepStrictEqual(
    await decryptMasterSeed(good.replace('"params"', '"PARAMS"'), "pw"),
    SEED,
  );
});

Deno.test("decryptMasterSeed() rejects a seed shorter than 256 bytes", async () => {
  const text = await encryptMasterSeed(new Uint8Array(255), "pw", FAST);
  await rejects(decryptMasterSeed(text, "pw"), {
    message: "master seed of insufficient length, expected >255 bytes, got 255",
  });
  await rejects(
    decryptMasterSeed(
      await encryptMasterSeed(new Uint8Array(0), "pw", FAST),
      "pw",
    ),
    {
      message: "master seed of insufficient length, expected >255 bytes, got 0",
    },
  );
});

Deno.test("isMasterSeedFile() tells seed files from password files", async () => {
  const good = await encryptMasterSeed(SEED, "pw", FAST);
  strictEqual(isMasterSeedFile(good), true);
  strictEqual(isMasterSeedFile(good + "\n"), true);
  strictEqual(isMasterSeedFile('{"Params":{}}'), true);
  for (
    const text of [
      "",
      "my password\n",
      "{not json\n",
      "null",
      "[1]",
      '"str"',
      "12345678901",
      '{"params":null}',
      '{"params":[]}',
      '{"description":"Clef seed","version":1}',
    ]
  ) {
    strictEqual(isMasterSeedFile(text), false, text);
  }
});
