import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { Transaction } from "ethers";
import { parseJsonValue } from "./_test_json.ts";
import {
  decodeSendTxArgs,
  emptySendTxArgs,
  type SendTxArgs,
} from "./send_tx_args.ts";
import {
  buildTransaction,
  ChainIdPanicError,
  encodeRawTransaction,
  signingHash,
  signTransaction,
  transactionHash,
} from "./tx.ts";
import { signTransactionResult } from "./tx_json.ts";
import { encodeBytes } from "./hexutil.ts";
import { fromHex } from "../_bytes.ts";

// cli.md test key 0102…0102 → 0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6.
const KEY = fromHex(
  "0102030405060708090a0102030405060708090a0102030405060708090a0102",
);
const FROM = "0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6";
const TO = "0xD9C9Cd5f6779558b6e0eD4e6Acf6b1947E7fA1F3";

function args(json: string): SendTxArgs {
  return decodeSendTxArgs(parseJsonValue(json));
}

function sign(a: SendTxArgs, chainId: bigint) {
  return signTransactionResult(
    signTransaction(buildTransaction(a), chainId, KEY),
  );
}

const GETH = JSON.parse(
  Deno.readTextFileSync(
    new URL("../../testdata/tx/go_ethereum_tx.json", import.meta.url),
  ),
);

Deno.test("buildTransaction() infers types like go-ethereum TestTxArgs", () => {
  for (const c of GETH.txargs_unsigned_hashes) {
    const tx = buildTransaction(args(JSON.stringify(c.request)));
    strictEqual(tx.type, c.type);
    const unsigned = { ...tx, v: 0n, r: 0n, s: 0n };
    strictEqual(encodeBytes(transactionHash(unsigned)), c.hash);
  }
});

Deno.test("signTransaction() reproduces go-ethereum TestEIP2930Signer", () => {
  const v = GETH.eip2930_signer;
  const key = fromHex(v.key);
  const tx0 = buildTransaction(args(JSON.stringify(v.request)));
  const tx1 = buildTransaction(args(JSON.stringify(v.request_chain1)));
  strictEqual(encodeBytes(signingHash(tx0, 1n)), v.signing_hash_chain1);
  strictEqual(encodeBytes(signingHash(tx1, 2n)), v.signing_hash_chain2);
  for (const tx of [tx0, tx1]) {
    const signed = signTransaction(tx, 1n, key);
    strictEqual(
      encodeBytes(transactionHash(signed)),
      v.hash_after_signing_chain1,
    );
  }
  throws(() => signTransaction(tx1, 2n, key), {
    message: v.error_chain1_tx_signed_for_chain2,
  });
});

Deno.test("encodeRawTransaction() matches go-ethereum encodings", () => {
  for (const name of ["eip2718_encode", "legacy_encode"]) {
    const v = GETH[name];
    const t = v.tx;
    const tx = {
      ...buildTransaction(emptySendTxArgs()),
      type: t.type,
      chainId: BigInt(t.chainId ?? 0),
      nonce: BigInt(t.nonce),
      to: fromHex(t.to),
      value: BigInt(t.value),
      gas: BigInt(t.gas),
      gasPrice: BigInt(t.gasPrice),
      data: fromHex(t.data),
      v: BigInt(v.v),
      r: BigInt(v.r),
      s: BigInt(v.s),
    };
    strictEqual(encodeBytes(encodeRawTransaction(tx)), v.raw);
    if (v.signing_hash) {
      strictEqual(encodeBytes(signingHash(tx, 1n)), v.signing_hash);
    }
  }
});

Deno.test("signTransaction() output parses with ethers for every type", () => {
  const common =
    `"from":"${FROM}","to":"${TO}","gas":"0x5208","nonce":"0x7","value":"0xde0b6b3a7640000","input":"0xa9059cbb00"`;
  const al = `"accessList":[{"address":"${TO}","storageKeys":["0x${
    "01".repeat(32)
  }"]}]`;
  const cases: [string, number][] = [
    [`{${common},"gasPrice":"0x3b9aca00"}`, 0],
    [`{${common},"gasPrice":"0x3b9aca00",${al}}`, 1],
    [
      `{${common},"maxFeePerGas":"0x77359400","maxPriorityFeePerGas":"0x1",${al}}`,
      2,
    ],
    [
      `{${common},"maxFeePerGas":"0x77359400","maxPriorityFeePerGas":"0x1","maxFeePerBlobGas":"0x9","blobVersionedHashes":["0x01${
        "ab".repeat(31)
      }"]}`,
      3,
    ],
    [
      `{${common},"maxFeePerGas":"0x77359400","maxPriorityFeePerGas":"0x1","authorizationList":[{"chainId":"0x1","address":"${TO}","nonce":"0x3","yParity":"0x1","r":"0x${
        "11".repeat(32)
      }","s":"0x22"}]}`,
      4,
    ],
  ];
  for (const chainId of [1n, 5n, 1337n, 2n ** 40n]) {
    for (const [json, type] of cases) {
      const res = sign(args(json), chainId);
      const t = Transaction.from(res.raw);
      strictEqual(t.type, type);
      strictEqual(t.from, FROM);
      strictEqual(t.chainId, chainId);
      strictEqual(t.nonce, 7);
      strictEqual(t.gasLimit, 21000n);
      strictEqual(t.to, TO);
      strictEqual(t.value, 10n ** 18n);
      strictEqual(t.data, "0xa9059cbb00");
      strictEqual(t.hash, res.tx.hash);
      strictEqual(res.tx.type, "0x" + type.toString(16));
      strictEqual(res.tx.chainId, "0x" + chainId.toString(16));
      strictEqual(res.tx.r, "0x" + BigInt(t.signature!.r).toString(16));
      strictEqual(res.tx.s, "0x" + BigInt(t.signature!.s).toString(16));
      if (type === 0) {
        strictEqual(t.gasPrice, 1000000000n);
        const v = BigInt(res.tx.v as string);
        strictEqual(v === 35n + 2n * chainId || v === 36n + 2n * chainId, true);
      } else {
        strictEqual(res.tx.v, res.tx.yParity);
        deepStrictEqual(
          t.accessList?.map((e) => e.address),
          type === 1 || type === 2 ? [TO] : [],
        );
      }
      if (type >= 2) {
        strictEqual(t.maxFeePerGas, 2000000000n);
        strictEqual(t.maxPriorityFeePerGas, 1n);
      }
      if (type === 3) {
        strictEqual(t.maxFeePerBlobGas, 9n);
        deepStrictEqual(t.blobVersionedHashes, ["0x01" + "ab".repeat(31)]);
      }
      if (type === 4) {
        strictEqual(t.authorizationList?.length, 1);
        strictEqual(t.authorizationList![0].address, TO);
        strictEqual(t.authorizationList![0].nonce, 3n);
        strictEqual(t.authorizationList![0].signature.yParity, 1);
      }
    }
  }
});

Deno.test("signTransaction() gives EIP-155 v values (37/38 on mainnet)", () => {
  for (const nonce of [0, 1, 2, 3, 4, 5]) {
    const res = sign(
      args(
        `{"from":"${FROM}","to":"${TO}","gasPrice":"0x1","nonce":"0x${nonce}"}`,
      ),
      1n,
    );
    strictEqual(["0x25", "0x26"].includes(res.tx.v as string), true);
  }
});

Deno.test("signTransaction() is deterministic and signs the given fields", () => {
  const a = args(`{"from":"${FROM}","to":"${TO}","gasPrice":"0x1"}`);
  strictEqual(sign(a, 1n).raw, sign(a, 1n).raw);
  const b = args(`{"from":"${FROM}","to":"${TO}","gasPrice":"0x2"}`);
  strictEqual(sign(a, 1n).raw === sign(b, 1n).raw, false);
});

Deno.test("signTransaction() handles geth-shaped requests", () => {
  // external-api.md §5 example (legacy, chain 4).
  const legacy = sign(
    args(
      `{"from":"0xD9C9Cd5f6779558b6e0eD4e6Acf6b1947E7fA1F3","to":"0xD9C9Cd5f6779558b6e0eD4e6Acf6b1947E7fA1F3","gas":"0x5208","gasPrice":"0x3b9aca00","maxFeePerGas":null,"maxPriorityFeePerGas":null,"value":"0x0","nonce":"0x2366","input":"0x","chainId":"0x4"}`,
    ),
    4n,
  );
  deepStrictEqual(Object.keys(legacy.tx), [
    "type",
    "chainId",
    "nonce",
    "to",
    "gas",
    "gasPrice",
    "maxPriorityFeePerGas",
    "maxFeePerGas",
    "value",
    "input",
    "v",
    "r",
    "s",
    "hash",
  ]);
  strictEqual(legacy.tx.type, "0x0");
  strictEqual(legacy.tx.chainId, "0x4");
  strictEqual(legacy.tx.nonce, "0x2366");
  strictEqual(legacy.tx.to, "0xd9c9cd5f6779558b6e0ed4e6acf6b1947e7fa1f3");
  strictEqual(legacy.tx.maxFeePerGas, null);
  strictEqual(legacy.tx.input, "0x");
  strictEqual(Transaction.from(legacy.raw).from, FROM);

  // Type 1 whose access list serialised as null → signed as legacy.
  const t1 = sign(
    args(
      `{"from":"${FROM}","to":"${TO}","gas":"0x5208","gasPrice":"0x1","maxFeePerGas":null,"maxPriorityFeePerGas":null,"value":"0x0","nonce":"0x0","input":"0x","chainId":"0x1","accessList":null}`,
    ),
    1n,
  );
  strictEqual(t1.tx.type, "0x0");

  // Type 4 from geth (no authorizationList) → type 2.
  const t4 = sign(
    args(
      `{"from":"${FROM}","to":"${TO}","gas":"0x5208","gasPrice":null,"maxFeePerGas":"0x2","maxPriorityFeePerGas":"0x1","value":"0x0","nonce":"0x0","input":"0x","chainId":"0x1","accessList":[]}`,
    ),
    1n,
  );
  strictEqual(t4.tx.type, "0x2");
  deepStrictEqual(t4.tx.accessList, []);
  strictEqual(t4.tx.gasPrice, null);
  strictEqual(t4.tx.yParity, t4.tx.v);

  // Blob tx from geth: no maxFeePerBlobGas → 0.
  const t3 = sign(
    args(
      `{"from":"${FROM}","to":"${TO}","gas":"0x5208","gasPrice":null,"maxFeePerGas":"0x2","maxPriorityFeePerGas":"0x1","value":"0x0","nonce":"0x0","input":"0x","chainId":"0x1","accessList":null,"blobVersionedHashes":["0x01${
        "00".repeat(31)
      }"]}`,
    ),
    1n,
  );
  strictEqual(t3.tx.type, "0x3");
  strictEqual(t3.tx.maxFeePerBlobGas, "0x0");
  deepStrictEqual(Object.keys(t3.tx), [
    "type",
    "chainId",
    "nonce",
    "to",
    "gas",
    "gasPrice",
    "maxPriorityFeePerGas",
    "maxFeePerGas",
    "maxFeePerBlobGas",
    "value",
    "input",
    "accessList",
    "blobVersionedHashes",
    "v",
    "r",
    "s",
    "yParity",
    "hash",
  ]);
  strictEqual(Transaction.from(t3.raw).hash, t3.tx.hash);
});

Deno.test("signTransaction() uses the configured chain id, not the request's", () => {
  // Legacy ignores the request's chainId; typed 0 is replaced by C.
  const legacy = sign(args(`{"to":"${TO}","chainId":"0x5"}`), 1n);
  strictEqual(legacy.tx.chainId, "0x1");
  const typed = sign(args(`{"to":"${TO}","maxFeePerGas":"0x1"}`), 9n);
  strictEqual(typed.tx.chainId, "0x9");
  strictEqual(Transaction.from(typed.raw).chainId, 9n);
  throws(
    () =>
      signTransaction(
        buildTransaction(args(`{"maxFeePerGas":"0x1","chainId":"0x5"}`)),
        1n,
        KEY,
      ),
    { message: "invalid chain id for signer: have 5 want 1" },
  );
  for (const c of [0n, -1n]) {
    throws(
      () => signTransaction(buildTransaction(args(`{}`)), c, KEY),
      (e: Error) =>
        e instanceof ChainIdPanicError && e.code === -32603 &&
        e.message === "method handler crashed",
    );
  }
});

Deno.test("buildTransaction() zero-fills absent fields and checks recipients", () => {
  const tx = buildTransaction(args(`{}`));
  strictEqual(tx.type, 0);
  strictEqual(tx.gasPrice, 0n);
  strictEqual(tx.to, undefined);
  strictEqual(tx.data.length, 0);
  // input wins over data
  const both = buildTransaction(args(`{"data":"0x01","input":"0x02"}`));
  deepStrictEqual(both.data, new Uint8Array([2]));
  throws(
    () => buildTransaction(args(`{"blobVersionedHashes":[]}`)),
    { message: "transaction recipient must be set for blob transactions" },
  );
  strictEqual(
    buildTransaction(args(`{"to":"${TO}","blobVersionedHashes":[]}`)).type,
    3,
  );
  throws(
    () => buildTransaction(args(`{"authorizationList":[]}`)),
    { message: "transaction recipient must be set for set-code transactions" },
  );
  throws(
    () =>
      buildTransaction(
        args(`{"to":"${TO}","authorizationList":[],"blobVersionedHashes":[]}`),
      ),
    {
      message:
        "transaction cannot have both blobVersionedHashes and authorizationList",
    },
  );
  const creation = sign(args(`{"gasPrice":"0x1","data":"0x6000"}`), 1n);
  strictEqual(creation.tx.to, null);
  strictEqual(Transaction.from(creation.raw).to, null);
});

Deno.test("signingHash() matches ethers' unsigned hash per type", () => {
  const jsons = [
    `{"to":"${TO}","gasPrice":"0x5","nonce":"0x1","value":"0x2","data":"0x1234"}`,
    `{"to":"${TO}","gasPrice":"0x5","accessList":[]}`,
    `{"maxFeePerGas":"0x5","maxPriorityFeePerGas":"0x2"}`,
    `{"to":"${TO}","maxFeePerGas":"0x5","blobVersionedHashes":["0x01${
      "cd".repeat(31)
    }"],"maxFeePerBlobGas":"0x3"}`,
  ];
  for (const json of jsons) {
    const tx = buildTransaction(args(json));
    const e = Transaction.from({
      type: tx.type,
      chainId: 11n,
      nonce: Number(tx.nonce),
      gasPrice: tx.type < 2 ? tx.gasPrice : undefined,
      maxFeePerGas: tx.type >= 2 ? tx.maxFeePerGas : undefined,
      maxPriorityFeePerGas: tx.type >= 2 ? tx.maxPriorityFeePerGas : undefined,
      maxFeePerBlobGas: tx.type === 3 ? tx.maxFeePerBlobGas : undefined,
      blobVersionedHashes: tx.type === 3
        ? tx.blobVersionedHashes.map(encodeBytes)
        : undefined,
      gasLimit: tx.gas,
      to: tx.to ? encodeBytes(tx.to) : null,
      value: tx.value,
      data: encodeBytes(tx.data),
      accessList: tx.type > 0 ? [] : undefined,
    });
    strictEqual(encodeBytes(signingHash(tx, 11n)), e.unsignedHash);
  }
});

Deno.test("encodeRawTransaction() of a legacy tx is plain RLP", () => {
  const tx = signTransaction(buildTransaction(args(`{"to":"${TO}"}`)), 1n, KEY);
  const raw = encodeRawTransaction(tx);
  strictEqual(raw[0] >= 0xc0, true);
});
