import {
  deepStrictEqual,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import { scrypt as nobleScrypt } from "@noble/hashes/scrypt.js";
import { pbkdf2 as noblePbkdf2 } from "@noble/hashes/pbkdf2.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { fromHex, utf8 } from "../_bytes.ts";
import {
  LIGHT_SCRYPT_N,
  LIGHT_SCRYPT_P,
  pbkdf2Sha256,
  scrypt,
  STANDARD_SCRYPT_N,
  STANDARD_SCRYPT_P,
  validateScryptParams,
} from "./kdf.ts";

/** Deterministic byte source (xorshift32) for seeded cases. */
function seeded(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}

Deno.test("constants match geth", () => {
  strictEqual(STANDARD_SCRYPT_N, 1 << 18);
  strictEqual(STANDARD_SCRYPT_P, 1);
  strictEqual(LIGHT_SCRYPT_N, 1 << 12);
  strictEqual(LIGHT_SCRYPT_P, 6);
});

Deno.test("scrypt() matches RFC 7914 §12 vector 1", async () => {
  const dk = await scrypt(new Uint8Array(), new Uint8Array(), {
    N: 16,
    r: 1,
    p: 1,
    dkLen: 64,
  });
  deepStrictEqual(
    dk,
    fromHex(
      "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442" +
        "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906",
    ),
  );
});

Deno.test("scrypt() matches RFC 7914 §12 vector 2", async () => {
  const dk = await scrypt(utf8("password"), utf8("NaCl"), {
    N: 1024,
    r: 8,
    p: 16,
    dkLen: 64,
  });
  deepStrictEqual(
    dk,
    fromHex(
      "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162" +
        "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640",
    ),
  );
});

Deno.test("scrypt() agrees with @noble/hashes over seeded inputs", async () => {
  const rnd = seeded(7);
  for (let i = 0; i < 12; i++) {
    const pw = rnd(rnd(1)[0] % 40);
    const salt = rnd(rnd(1)[0] % 40);
    const params = {
      N: 2 ** (1 + (rnd(1)[0] % 6)),
      r: 1 + (rnd(1)[0] % 4),
      p: 1 + (rnd(1)[0] % 3),
      dkLen: 1 + (rnd(1)[0] % 80),
    };
    deepStrictEqual(
      await scrypt(pw, salt, params),
      nobleScrypt(pw, salt, params),
      JSON.stringify(params),
    );
  }
});

Deno.test("scrypt() light parameters agree with @noble/hashes", async () => {
  const params = { N: LIGHT_SCRYPT_N, r: 8, p: LIGHT_SCRYPT_P, dkLen: 32 };
  deepStrictEqual(
    await scrypt(utf8("pw"), utf8("salt"), params),
    nobleScrypt(utf8("pw"), utf8("salt"), params),
  );
});

Deno.test("scrypt() rejects invalid parameters with Go's texts", async () => {
  const pw = utf8("pw");
  for (const N of [0, 1, 3, 6, -2, 1.5, 2 ** 31 + 2, 2 ** 53 + 2]) {
    await rejects(scrypt(pw, pw, { N, r: 8, p: 1, dkLen: 32 }), {
      name: "RangeError",
      message: "scrypt: N must be > 1 and a power of 2",
    });
  }
  for (const [r, p] of [[0, 1], [1, 0], [2 ** 15, 2 ** 15], [-1, 1]]) {
    await rejects(scrypt(pw, pw, { N: 16, r, p, dkLen: 32 }), {
      name: "RangeError",
      message: "scrypt: parameters are too large",
    });
  }
});

Deno.test("validateScryptParams() caps memory, work and dkLen", () => {
  throws(() => validateScryptParams({ N: 2 ** 20, r: 16, p: 1, dkLen: 32 }), {
    name: "RangeError",
    message: /memory/,
  });
  throws(() => validateScryptParams({ N: 2 ** 18, r: 8, p: 16, dkLen: 32 }), {
    name: "RangeError",
    message: /work limit/,
  });
  // 32-bit truncation must not let 2^32 pass as a small N.
  for (const N of [2 ** 31, 2 ** 32, 2 ** 40]) {
    throws(() => validateScryptParams({ N, r: 1, p: 1, dkLen: 32 }), {
      name: "RangeError",
      message: /memory/,
    });
  }
  throws(() => validateScryptParams({ N: 16, r: 8, p: 1, dkLen: 0 }), {
    name: "RangeError",
  });
  throws(() => validateScryptParams({ N: 16, r: 8, p: 1, dkLen: 100000 }), {
    name: "RangeError",
  });
  // geth's standard, light and the wiki vector's (n=2^18, r=1, p=8) pass.
  validateScryptParams({ N: 2 ** 18, r: 8, p: 1, dkLen: 32 });
  validateScryptParams({ N: 2 ** 12, r: 8, p: 6, dkLen: 32 });
  validateScryptParams({ N: 2 ** 18, r: 1, p: 8, dkLen: 32 });
});

Deno.test("pbkdf2Sha256() matches RFC 7914 §11 vector 1", async () => {
  deepStrictEqual(
    await pbkdf2Sha256(utf8("passwd"), utf8("salt"), 1, 64),
    fromHex(
      "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc" +
        "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783",
    ),
  );
});

Deno.test("pbkdf2Sha256() agrees with @noble/hashes, empty password too", async () => {
  const rnd = seeded(11);
  for (let i = 0; i < 10; i++) {
    const pw = rnd(i === 0 ? 0 : rnd(1)[0] % 70);
    const salt = rnd(rnd(1)[0] % 40);
    const c = 1 + (rnd(1)[0] % 50);
    const dkLen = 1 + (rnd(1)[0] % 70);
    deepStrictEqual(
      await pbkdf2Sha256(pw, salt, c, dkLen),
      noblePbkdf2(sha256, pw, salt, { c, dkLen }),
    );
  }
});

Deno.test("pbkdf2Sha256() rejects out-of-range counts and lengths", async () => {
  await rejects(pbkdf2Sha256(utf8("a"), utf8("b"), 0, 32), RangeError);
  await rejects(pbkdf2Sha256(utf8("a"), utf8("b"), 2 ** 30, 32), RangeError);
  await rejects(pbkdf2Sha256(utf8("a"), utf8("b"), 1, 0), RangeError);
  await rejects(pbkdf2Sha256(utf8("a"), utf8("b"), 1, 1.5), RangeError);
});
