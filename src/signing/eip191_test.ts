import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { hashMessage, solidityPackedKeccak256 } from "ethers";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { to0xHex, toBase64, utf8 } from "../_bytes.ts";
import {
  hashPersonalMessage,
  personalMessage,
  validatorMessage,
} from "./eip191.ts";

Deno.test("hashPersonalMessage() hashes 'hello world' as clef documents", () => {
  const m = utf8("hello world");
  strictEqual(
    to0xHex(hashPersonalMessage(m)),
    "0xd9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68",
  );
  strictEqual(
    toBase64(personalMessage(m)),
    "GUV0aGVyZXVtIFNpZ25lZCBNZXNzYWdlOgoxMWhlbGxvIHdvcmxk",
  );
});

Deno.test("hashPersonalMessage() equals ethers' hashMessage on binary data", () => {
  for (let n = 0; n < 300; n += 37) {
    const m = Uint8Array.from({ length: n }, (_, i) => (i * 151 + n) & 0xff);
    strictEqual(to0xHex(hashPersonalMessage(m)), hashMessage(m));
  }
});

Deno.test("validatorMessage() builds 0x19 0x00 ‖ validator ‖ data", () => {
  const v = new Uint8Array(20).fill(0xab);
  const d = utf8("data");
  const msg = validatorMessage(v, d);
  deepStrictEqual(msg.subarray(0, 2), new Uint8Array([0x19, 0]));
  strictEqual(
    solidityPackedKeccak256(
      ["bytes1", "bytes1", "address", "bytes"],
      ["0x19", "0x00", to0xHex(v), to0xHex(d)],
    ),
    to0xHex(keccak_256(msg)),
  );
  throws(() => validatorMessage(new Uint8Array(19), d), RangeError);
});
