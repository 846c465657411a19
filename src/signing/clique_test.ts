import { StaveError } from "../errors.ts";
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { decodeRlp, encodeRlp, getBytes, hexlify, toBeHex } from "ethers";
import { fromHex, to0xHex } from "../_bytes.ts";
import {
  type BlockHeader,
  buildCliqueSealRequest,
  cliqueMessage,
  CliqueNumberTooLargeError,
  decodeHeader,
  encodeHeader,
} from "./clique.ts";
import { publicKeyToAddress } from "./ecrecover.ts";
import { recoverPublicKey, signHash } from "./signature.ts";

const vectors = JSON.parse(Deno.readTextFileSync(
  new URL("../../testdata/clique/seal_hash.json", import.meta.url),
));

function zeroHeader(extra: Uint8Array): BlockHeader {
  return {
    parentHash: new Uint8Array(32),
    uncleHash: new Uint8Array(32),
    coinbase: new Uint8Array(20),
    root: new Uint8Array(32),
    txHash: new Uint8Array(32),
    receiptHash: new Uint8Array(32),
    bloom: new Uint8Array(256),
    difficulty: 0n,
    number: 0n,
    gasLimit: 0n,
    gasUsed: 0n,
    time: 0n,
    extra,
    mixDigest: new Uint8Array(32),
    nonce: new Uint8Array(8),
  };
}

/** A realistic pre-London Clique header (vanity + no seal, as geth sends it). */
function sampleHeader(): BlockHeader {
  const h = zeroHeader(new Uint8Array(32).fill(0xda));
  h.parentHash = new Uint8Array(32).fill(0x11);
  h.uncleHash = fromHex(
    "1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347",
  );
  h.coinbase = new Uint8Array(20);
  h.root = new Uint8Array(32).fill(0x22);
  h.difficulty = 2n;
  h.number = 4_242_424n;
  h.gasLimit = 30_000_000n;
  h.gasUsed = 21_000n;
  h.time = 1_700_000_000n;
  return h;
}

/** The header as an ethers RLP list (independent encoder). */
function ethersRlp(h: BlockHeader, fields: number): Uint8Array {
  const q = (n: bigint) => (n === 0n ? "0x" : toBeHex(n));
  const all = [
    hexlify(h.parentHash),
    hexlify(h.uncleHash),
    hexlify(h.coinbase),
    hexlify(h.root),
    hexlify(h.txHash),
    hexlify(h.receiptHash),
    hexlify(h.bloom),
    q(h.difficulty),
    q(h.number),
    q(h.gasLimit),
    q(h.gasUsed),
    q(h.time),
    hexlify(h.extra),
    hexlify(h.mixDigest),
    hexlify(h.nonce),
    q(h.baseFee ?? 0n),
    hexlify(h.withdrawalsHash ?? new Uint8Array(32)),
  ];
  return getBytes(encodeRlp(all.slice(0, fields)));
}

Deno.test("buildCliqueSealRequest() reproduces go-ethereum TestSealHash", () => {
  // geth sends the header without its seal: 32-byte vanity; clef adds 65.
  const h = zeroHeader(new Uint8Array(32));
  h.baseFee = 0n;
  const req = buildCliqueSealRequest(encodeHeader(h));
  strictEqual(to0xHex(req.sealHash), vectors.testSealHash.sealHash);
  strictEqual(req.header.extra.length, 97);
  deepStrictEqual(req.rawData, encodeHeader(h));
});

Deno.test("buildCliqueSealRequest() seals a pre-London header", () => {
  const h = sampleHeader();
  const rlp = encodeHeader(h);
  deepStrictEqual(rlp, ethersRlp(h, 15)); // our encoder vs ethers
  const req = buildCliqueSealRequest(rlp);
  deepStrictEqual(req.rawData, rlp);
  deepStrictEqual(req.sealHash, keccak_256(rlp));
  // the block hash covers the header with 65 zero bytes of seal room
  const sealed = { ...h, extra: new Uint8Array(97).fill(0xda, 0, 32) };
  deepStrictEqual(req.blockHash, keccak_256(ethersRlp(sealed, 15)));
  strictEqual(
    cliqueMessage(req),
    `clique header 4242424 [${to0xHex(req.blockHash)}]`,
  );
  strictEqual(req.header.baseFee, undefined);
});

Deno.test("buildCliqueSealRequest() seals a London header (baseFee)", () => {
  const h = { ...sampleHeader(), baseFee: 7n };
  const rlp = encodeHeader(h);
  deepStrictEqual(rlp, ethersRlp(h, 16));
  const req = buildCliqueSealRequest(rlp);
  deepStrictEqual(req.rawData, rlp);
  deepStrictEqual(req.sealHash, keccak_256(rlp));
  strictEqual(req.header.baseFee, 7n);
});

/**
 * Nethermind's `HeaderDecoder` encoding (`RlpBehaviors.None`) of a Clique
 * header as `ClefWallet.Sign(BlockHeader)` posts it, built here with ethers
 * from Nethermind's rules, not from clique.ts: the 15 mandatory fields, the
 * extra-data with the 65-byte seal cut off (`CliqueSealer` clones the header
 * and shortens `ExtraData` before signing), then baseFee when set (or when a
 * later field is), withdrawalsRoot when set, blobGasUsed and excessBlobGas
 * when set, parentBeaconBlockRoot when set, requestsHash when set.
 */
function nethermindRlp(h: BlockHeader, sealedExtra: Uint8Array): Uint8Array {
  const q = (n: bigint) => (n === 0n ? "0x" : toBeHex(n));
  const f = ethersFields({
    ...h,
    extra: sealedExtra.subarray(0, sealedExtra.length - 65),
  });
  const later = h.withdrawalsHash !== undefined;
  if (h.baseFee !== undefined || later) f.push(q(h.baseFee ?? 0n));
  if (h.withdrawalsHash) f.push(hexlify(h.withdrawalsHash));
  if (h.blobGasUsed !== undefined) f.push(q(h.blobGasUsed));
  if (h.excessBlobGas !== undefined) f.push(q(h.excessBlobGas));
  if (h.parentBeaconRoot) f.push(hexlify(h.parentBeaconRoot));
  if (h.requestsHash) f.push(hexlify(h.requestsHash));
  return getBytes(encodeRlp(f));
}

Deno.test("buildCliqueSealRequest() seals Shanghai, Cancun and Prague headers as Nethermind verifies them", () => {
  const key = fromHex(
    "0102030405060708090a0102030405060708090a0102030405060708090a0102",
  );
  const shanghai = {
    ...sampleHeader(),
    baseFee: 7n,
    withdrawalsHash: new Uint8Array(32).fill(0x56),
  };
  const cancun = {
    ...shanghai,
    blobGasUsed: 0n,
    excessBlobGas: 131_072n,
    parentBeaconRoot: new Uint8Array(32).fill(0xbe),
  };
  const prague = { ...cancun, requestsHash: new Uint8Array(32).fill(0x7e) };
  const cases: [BlockHeader, string[]][] = [
    [shanghai, ["withdrawalsHash"]],
    [cancun, [
      "withdrawalsHash",
      "blobGasUsed",
      "excessBlobGas",
      "parentBeaconRoot",
    ]],
    [prague, [
      "withdrawalsHash",
      "blobGasUsed",
      "excessBlobGas",
      "parentBeaconRoot",
      "requestsHash",
    ]],
  ];
  for (const [h, later] of cases) {
    // Nethermind's block as it will be sealed: vanity ‖ 65-byte seal slot
    const sealed = new Uint8Array([...h.extra, ...new Uint8Array(65)]);
    const sent = nethermindRlp(h, sealed);
    const req = buildCliqueSealRequest(sent);
    // what is signed is the header RLP exactly as received
    deepStrictEqual(req.rawData, sent);
    deepStrictEqual(req.sealHash, keccak_256(sent));
    deepStrictEqual(req.laterFields, later);
    strictEqual(req.header.number, h.number);
    // Nethermind's verifier: keccak256 of the sealed header's RLP with the
    // seal cut off (SnapshotManager.CalculateCliqueHeaderHash), recover
    const sig = signHash(req.sealHash, key);
    ok(sig[64] === 0 || sig[64] === 1, "V 0/1, read as the recovery id");
    sealed.set(sig, sealed.length - 65);
    const verifierHash = keccak_256(nethermindRlp(h, sealed));
    strictEqual(
      to0xHex(publicKeyToAddress(recoverPublicKey(verifierHash, sig))),
      "0x9160dc9105f7de5dc5e7f3d97ef11da47269bda6",
    );
    // the display hash is the block hash with a zero seal, all fields
    deepStrictEqual(
      req.blockHash,
      keccak_256(getBytes(encodeRlp([
        ...ethersFields({ ...h, extra: sealed.fill(0, sealed.length - 65) }),
        ...[...decodeListTail(sent)],
      ]))),
    );
  }
  deepStrictEqual(encodeHeader(shanghai), ethersRlp(shanghai, 17));
});

/** The RLP items after the 15 mandatory fields, as hex (ethers decoder). */
function decodeListTail(rlp: Uint8Array): string[] {
  return (decodeRlp(rlp) as string[]).slice(15);
}

Deno.test("buildCliqueSealRequest() signature keeps v 0/1 and recovers to the signer", () => {
  const key = fromHex(
    "0102030405060708090a0102030405060708090a0102030405060708090a0102",
  );
  const req = buildCliqueSealRequest(encodeHeader(sampleHeader()));
  const sig = signHash(req.sealHash, key);
  ok(sig[64] === 0 || sig[64] === 1);
  // what a Clique verifier does: recover from SealHash and the extra seal
  const sealedExtra = new Uint8Array(req.header.extra);
  sealedExtra.set(sig, sealedExtra.length - 65);
  const seal = sealedExtra.subarray(sealedExtra.length - 65);
  strictEqual(
    to0xHex(publicKeyToAddress(recoverPublicKey(req.sealHash, seal))),
    "0x9160dc9105f7de5dc5e7f3d97ef11da47269bda6",
  );
});

Deno.test("decodeHeader() applies go-ethereum's strict RLP rules", () => {
  const rlp = encodeHeader(sampleHeader());
  const cases: [Uint8Array, string | RegExp][] = [
    [new Uint8Array([...rlp, 0x80]), "rlp: input contains more than one value"],
    [new Uint8Array(), "EOF"],
    [new Uint8Array([0x80]), "rlp: expected input list for types.Header"],
    [
      getBytes(encodeRlp(["0x01"])),
      /^rlp: input string too short for common.Hash/,
    ],
    [
      rlp.subarray(0, rlp.length - 1),
      "rlp: value size exceeds available input length",
    ],
  ];
  for (const [input, msg] of cases) {
    throws(() => decodeHeader(input), { message: msg });
  }
  // 14 elements: too few; 24 elements: too many
  const fields = ethersFields(sampleHeader());
  throws(() => decodeHeader(getBytes(encodeRlp(fields.slice(0, 14)))), {
    message: "rlp: too few elements for types.Header",
  });
  const full = [
    ...fields,
    "0x07",
    hexlify(new Uint8Array(32)),
    "0x",
    "0x",
    hexlify(new Uint8Array(32)),
    hexlify(new Uint8Array(32)),
    hexlify(new Uint8Array(32)),
    "0x05",
  ];
  strictEqual(decodeHeader(getBytes(encodeRlp(full))).slotNumber, 5n);
  throws(() => decodeHeader(getBytes(encodeRlp([...full, "0x"]))), {
    message: "rlp: input list has too many elements for types.Header",
  });
  // non-canonical integers and sizes
  const bad = (i: number, v: string) => {
    const f = [...fields];
    f[i] = v;
    return getBytes(encodeRlp(f));
  };
  throws(() => decodeHeader(bad(8, "0x0001")), {
    message:
      "rlp: non-canonical integer (leading zero bytes) for *big.Int, decoding into (types.Header).Number",
  });
  throws(() => decodeHeader(bad(9, "0x00")), {
    message:
      "rlp: non-canonical integer (leading zero bytes) for uint64, decoding into (types.Header).GasLimit",
  });
  throws(() => decodeHeader(bad(9, "0x010203040506070809")), {
    message:
      "rlp: input string too long for uint64, decoding into (types.Header).GasLimit",
  });
  throws(() => decodeHeader(bad(2, hexlify(new Uint8Array(21)))), {
    message:
      "rlp: input string too long for common.Address, decoding into (types.Header).Coinbase",
  });
  // a single byte < 0x80 wrapped as a one-byte string
  const wrapped = encodeHeader({
    ...sampleHeader(),
    extra: new Uint8Array([0x05, 0x7e]),
  });
  let i = 0;
  while (
    !(wrapped[i] === 0x82 && wrapped[i + 1] === 0x05 && wrapped[i + 2] === 0x7e)
  ) i++;
  const forged = new Uint8Array([
    ...wrapped.subarray(0, i),
    0x81,
    0x05,
    ...wrapped.subarray(i + 3),
  ]);
  forged[2] -= 1; // fix the outer list length (long form, 2 length bytes)
  throws(() => decodeHeader(forged), {
    message:
      "rlp: non-canonical size information for []uint8, decoding into (types.Header).Extra",
  });
});

function ethersFields(h: BlockHeader): string[] {
  const q = (n: bigint) => (n === 0n ? "0x" : toBeHex(n));
  return [
    hexlify(h.parentHash),
    hexlify(h.uncleHash),
    hexlify(h.coinbase),
    hexlify(h.root),
    hexlify(h.txHash),
    hexlify(h.receiptHash),
    hexlify(h.bloom),
    q(h.difficulty),
    q(h.number),
    q(h.gasLimit),
    q(h.gasUsed),
    q(h.time),
    hexlify(h.extra),
    hexlify(h.mixDigest),
    hexlify(h.nonce),
  ];
}

Deno.test("buildCliqueSealRequest() refuses a block number that does not fit in 64 bits", () => {
  // clef (go-ethereum v1.17.3) decodes Number as *big.Int and seals
  // 2^64, 2^256 and 2^300 alike; no chain reaches such a height (geth
  // numbers blocks with uint64), and a guard that recorded one would
  // refuse every real height after it.
  const max = { ...sampleHeader(), number: 2n ** 64n - 1n };
  strictEqual(
    buildCliqueSealRequest(encodeHeader(max)).header.number,
    max.number,
  );
  for (const number of [2n ** 64n, 2n ** 256n, 2n ** 300n]) {
    const rlp = encodeHeader({ ...sampleHeader(), number });
    strictEqual(decodeHeader(rlp).number, number); // it decodes...
    throws(() => buildCliqueSealRequest(rlp), (e: unknown) => {
      ok(e instanceof CliqueNumberTooLargeError && e instanceof StaveError);
      strictEqual(e.code, -32000);
      strictEqual(
        e.message,
        `clique: refusing to seal block ${number}: a block number must fit in 64 bits`,
      );
      return true;
    });
  }
});
