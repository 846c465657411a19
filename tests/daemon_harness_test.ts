/**
 * Self-checks of the daemon test harness (tests/_daemon.ts) that need no
 * daemon: the Clique oracle against go-ethereum's `TestSealHash` and an
 * independent signer, the JSON stream splitter, the PRNG and quantiles.
 */
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { SigningKey } from "ethers";
import {
  cliqueHeader,
  cliqueRlp,
  cliqueSealHash,
  quantile,
  RAW_KEY_ADDRESS,
  RAW_KEY_HEX,
  recoverCliqueSigner,
  sealedBlockHash,
  seededRandom,
  splitJsonValues,
} from "./_daemon.ts";
import { buildCliqueSealRequest } from "../src/signing/clique.ts";
import { fromHex, toHex } from "../src/_bytes.ts";

Deno.test("cliqueSealHash() matches go-ethereum TestSealHash", () => {
  // All-zero header, 97-byte zero extra (vanity + zero seal), baseFee 0: the
  // seal hash covers extra without its last 65 bytes, i.e. 32 zero bytes.
  const h = cliqueHeader(0, {
    parentHash: "0x" + "00".repeat(32),
    uncleHash: "0x" + "00".repeat(32),
    root: "0x" + "00".repeat(32),
    txHash: "0x" + "00".repeat(32),
    receiptHash: "0x" + "00".repeat(32),
    difficulty: 0n,
    gasLimit: 0n,
    time: 0n,
    extra: "0x" + "00".repeat(32),
    baseFee: 0n,
  });
  strictEqual(
    cliqueSealHash(h),
    "0xbd3d1fa43fbc4c5bfcc91b179ec92e2861df3654de60468beb908ff805359e8f",
  );
});

Deno.test("cliqueRlp() is what stave's Clique decoder reads back, same seal hash", () => {
  for (const baseFee of [undefined, 7n]) {
    const h = cliqueHeader(123456, { baseFee });
    const req = buildCliqueSealRequest(fromHex(cliqueRlp(h).slice(2)));
    strictEqual("0x" + toHex(req.sealHash), cliqueSealHash(h));
    strictEqual(req.header.number, 123456n);
  }
});

Deno.test("recoverCliqueSigner() recovers an ethers seal and rejects V 27/28 and short seals", () => {
  const key = new SigningKey("0x" + RAW_KEY_HEX);
  const h = cliqueHeader(5);
  const sig = key.sign(cliqueSealHash(h));
  const seal = sig.r + sig.s.slice(2) + (sig.yParity ? "01" : "00");
  strictEqual(recoverCliqueSigner(h, seal), RAW_KEY_ADDRESS);
  throws(() => recoverCliqueSigner(h, sig.serialized), /V is 2[78]/);
  throws(() => recoverCliqueSigner(h, seal.slice(0, 100)), /65 bytes/);
  // Another header gives another signer.
  const other = recoverCliqueSigner(cliqueHeader(6), seal);
  strictEqual(other === RAW_KEY_ADDRESS, false);
  strictEqual(sealedBlockHash(h, seal).length, 66);
});

Deno.test("splitJsonValues() splits a stream of JSON values and keeps a partial tail", () => {
  const { values, rest } = splitJsonValues(
    '{"a":"}\\"{"}\n[1,[2]] 3 "x\\"y"{"b":',
  );
  deepStrictEqual(values, ['{"a":"}\\"{"}', "[1,[2]]", "3", '"x\\"y"']);
  strictEqual(rest, '{"b":');
  deepStrictEqual(splitJsonValues("12").values, []);
});

Deno.test("seededRandom() is reproducible; quantile() takes the nearest rank", () => {
  const a = seededRandom(42), b = seededRandom(42);
  const xs = Array.from({ length: 5 }, () => a());
  deepStrictEqual(xs, Array.from({ length: 5 }, () => b()));
  strictEqual(xs.every((x) => x >= 0 && x < 1), true);
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  strictEqual(quantile(sorted, 0.5), 50);
  strictEqual(quantile(sorted, 0.99), 99);
});
