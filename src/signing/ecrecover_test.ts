import { ok, strictEqual, throws } from "node:assert/strict";
import { hashMessage, Wallet } from "ethers";
import { fromHex, to0xHex, utf8 } from "../_bytes.ts";
import { StaveError } from "../errors.ts";
import { hashPersonalMessage } from "./eip191.ts";
import { ecRecover } from "./ecrecover.ts";
import { signHash, toEthereumV } from "./signature.ts";

const KEY = fromHex(
  "0102030405060708090a0102030405060708090a0102030405060708090a0102",
);
const ADDRESS = "0x9160dc9105f7de5dc5e7f3d97ef11da47269bda6";

Deno.test("ecRecover() round-trips a personal-message signature", () => {
  const msg = utf8("hello world");
  const sig = toEthereumV(signHash(hashPersonalMessage(msg), KEY));
  strictEqual(to0xHex(ecRecover(msg, sig)), ADDRESS);
});

Deno.test("ecRecover() accepts ethers' signMessage output", async () => {
  const wallet = new Wallet(to0xHex(KEY));
  strictEqual(wallet.address.toLowerCase(), ADDRESS);
  for (const m of ["", "hello world", "\u00e9\u{1f680}"]) {
    const sig = fromHex(await wallet.signMessage(m));
    strictEqual(to0xHex(ecRecover(utf8(m), sig)), ADDRESS);
    strictEqual(to0xHex(hashPersonalMessage(utf8(m))), hashMessage(m));
  }
});

Deno.test("ecRecover() rejects bad signatures with clef's texts", () => {
  const msg = utf8("x");
  const sig = toEthereumV(signHash(hashPersonalMessage(msg), KEY));
  throws(() => ecRecover(msg, sig.subarray(0, 64)), {
    message: "signature must be 65 bytes long",
  });
  for (const v of [0, 1, 29]) {
    const s = sig.slice();
    s[64] = v;
    throws(() => ecRecover(msg, s), {
      message: "invalid Ethereum signature (V is not 27 or 28)",
    });
  }
  const zero = new Uint8Array(65);
  zero[64] = 27;
  const e = (() => {
    try {
      ecRecover(msg, zero);
    } catch (e) {
      return e;
    }
  })();
  ok(e instanceof StaveError);
  strictEqual(e.message, "recovery failed");
  // the input signature is not modified
  strictEqual(sig[64] === 27 || sig[64] === 28, true);
});
