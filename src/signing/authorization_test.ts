import { strictEqual } from "node:assert/strict";
import { hashAuthorization } from "ethers";
import { fromHex } from "../_bytes.ts";
import {
  authorizationRlpItem,
  authorizationSigningHash,
} from "./authorization.ts";
import { encodeRlp } from "./_rlp.ts";
import { encodeBytes } from "./hexutil.ts";

const ADDR = "0xd9c9cd5f6779558b6e0ed4e6acf6b1947e7fa1f3";

Deno.test("authorizationSigningHash() matches ethers' EIP-7702 hash", () => {
  for (const [chainId, nonce] of [[0n, 0n], [1n, 7n], [2n ** 64n, 2n ** 63n]]) {
    const auth = {
      chainId,
      address: fromHex(ADDR),
      nonce,
      yParity: 1,
      r: 5n,
      s: 6n,
    };
    strictEqual(
      encodeBytes(authorizationSigningHash(auth)),
      hashAuthorization({ address: ADDR, nonce, chainId }),
    );
  }
});

Deno.test("authorizationRlpItem() encodes [chainId, address, nonce, yParity, r, s]", () => {
  const item = authorizationRlpItem({
    chainId: 1n,
    address: fromHex(ADDR),
    nonce: 0n,
    yParity: 0,
    r: 0x0102n,
    s: 3n,
  });
  strictEqual(
    encodeBytes(encodeRlp(item)),
    "0xdc0194" + ADDR.slice(2) + "8080820102" + "03",
  );
});
