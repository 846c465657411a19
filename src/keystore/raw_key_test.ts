import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { computeAddress } from "ethers";
import * as nobleSecp from "@noble/secp256k1";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { fromHex, to0xHex, toHex } from "../_bytes.ts";
import { toChecksumAddress } from "../address.ts";
import { StaveError } from "../errors.ts";
import {
  generatePrivateKey,
  parseRawKeyFile,
  privateKeyToAddress,
  SECP256K1_N,
  validatePrivateKey,
} from "./raw_key.ts";

const enc = new TextEncoder();
const KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

Deno.test("parseRawKeyFile() spec vector gives 0x9160DC91...", () => {
  const key = parseRawKeyFile(
    enc.encode(
      "0102030405060708090a0102030405060708090a0102030405060708090a0102",
    ),
  );
  strictEqual(
    toChecksumAddress(privateKeyToAddress(key)),
    "0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6",
  );
});

Deno.test("parseRawKeyFile() accepts geth LoadECDSA's good inputs", () => {
  for (const tail of ["", "\n", "\n\r", "\r\n", "\n\n", "\r\r"]) {
    deepStrictEqual(parseRawKeyFile(enc.encode(KEY + tail)), fromHex(KEY));
  }
  deepStrictEqual(
    parseRawKeyFile(enc.encode(KEY.toUpperCase())),
    fromHex(KEY),
  );
});

Deno.test("parseRawKeyFile() rejects with geth's texts", () => {
  const cases: [string | Uint8Array, string][] = [
    [KEY.slice(0, 63), "key file too short, want 64 hex characters"],
    [KEY.slice(0, 63) + "\n", "key file too short, want 64 hex characters"],
    ["", "key file too short, want 64 hex characters"],
    ["0x" + KEY.slice(0, 62), "invalid hex character 'x' in private key"],
    [" " + KEY, "key file too short, want 64 hex characters"],
    [KEY.slice(0, 63) + "X", "invalid hex character 'X' in private key"],
    [KEY + "X", "invalid character 'X' at end of key file"],
    [KEY + "\n\n\n", "key file too long, want 64 hex characters"],
    [KEY + "\n\nX", "invalid character 'X' at end of key file"],
    [KEY + " ", "invalid character ' ' at end of key file"],
    [KEY + "\t", "invalid character '\\t' at end of key file"],
    [KEY + "'", "invalid character '\\'' at end of key file"],
    [
      new Uint8Array([...enc.encode(KEY), 0]),
      "invalid character '\\x00' at end of key file",
    ],
    [
      new Uint8Array([...enc.encode(KEY), 0xff]),
      "invalid character 'ÿ' at end of key file",
    ],
    [
      new Uint8Array([...enc.encode(KEY), 0x85]),
      "invalid character '\\u0085' at end of key file",
    ],
    [
      new Uint8Array([0xe9, ...enc.encode(KEY.slice(1))]),
      "invalid hex character 'é' in private key",
    ],
    ["0".repeat(64), "invalid private key, zero or negative"],
    ["f".repeat(64), "invalid private key, >=N"],
    [SECP256K1_N.toString(16), "invalid private key, >=N"],
  ];
  for (const [input, message] of cases) {
    const bytes = typeof input === "string" ? enc.encode(input) : input;
    throws(() => parseRawKeyFile(bytes), (err: unknown) => {
      strictEqual((err as Error).message, message);
      strictEqual(err instanceof StaveError, true);
      return true;
    });
  }
});

Deno.test("validatePrivateKey() checks length and range", () => {
  throws(() => validatePrivateKey(new Uint8Array(31).fill(1)), {
    message: "invalid length, need 256 bits",
  });
  throws(() => validatePrivateKey(new Uint8Array(33).fill(1)), {
    message: "invalid length, need 256 bits",
  });
  const nMinus1 = fromHex((SECP256K1_N - 1n).toString(16));
  validatePrivateKey(nMinus1);
  throws(() => validatePrivateKey(fromHex(SECP256K1_N.toString(16))), {
    message: "invalid private key, >=N",
  });
});

Deno.test("privateKeyToAddress() agrees with ethers and @noble/secp256k1", () => {
  let seed = 1;
  const rnd = (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      out[i] = seed >>> 24;
    }
    return out;
  };
  for (let i = 0; i < 20; i++) {
    const key = generatePrivateKey(rnd);
    const addr = privateKeyToAddress(key);
    strictEqual(to0xHex(addr), computeAddress(to0xHex(key)).toLowerCase());
    const pub = nobleSecp.getPublicKey(key, false);
    strictEqual(toHex(addr), toHex(keccak_256(pub.subarray(1)).slice(12)));
  }
});

Deno.test("generatePrivateKey() rejects out-of-range candidates", () => {
  const candidates = [new Uint8Array(32), new Uint8Array(32).fill(0xff)];
  const good = new Uint8Array(32).fill(0x11);
  const key = generatePrivateKey(() => candidates.shift() ?? good.slice());
  deepStrictEqual(key, good);
});
