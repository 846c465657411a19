import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { Transaction } from "ethers";
import { fromHex } from "../_bytes.ts";
import {
  blobVersionedHash,
  CELL_PROOFS_PER_BLOB,
  loadKzg,
  processBlobSidecar,
} from "./blob.ts";
import { encodeBytes } from "./hexutil.ts";
import { parseJsonValue } from "./_test_json.ts";
import {
  BLOB_SIZE,
  decodeSendTxArgs,
  type SendTxArgs,
  sendTxArgsToJson,
} from "./send_tx_args.ts";
import { buildTransaction, signTransaction } from "./tx.ts";
import { signTransactionResult } from "./tx_json.ts";

await loadKzg();

const KEY = fromHex(
  "0102030405060708090a0102030405060708090a0102030405060708090a0102",
);
const FROM = "0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6";
const TO = "0xD9C9Cd5f6779558b6e0eD4e6Acf6b1947E7fA1F3";

function blob(first: number): Uint8Array {
  const b = new Uint8Array(BLOB_SIZE);
  b[0] = first; // field element 0 stays below the BLS modulus for first < 0x73
  b[40] = 7;
  return b;
}

function blobArgs(extra: string, blobs: Uint8Array[]): SendTxArgs {
  const json =
    `{"from":"${FROM}","to":"${TO}","gas":"0x5208","maxFeePerGas":"0x2","maxPriorityFeePerGas":"0x1","maxFeePerBlobGas":"0x3","nonce":"0x1","blobs":[${
      blobs.map((b) => `"${encodeBytes(b)}"`).join(",")
    }]${extra}}`;
  return decodeSendTxArgs(parseJsonValue(json));
}

Deno.test("processBlobSidecar() computes a version-0 sidecar that signs and parses", () => {
  const b = blob(1);
  const args = blobArgs("", [b]);
  processBlobSidecar(args);
  strictEqual(args.commitments?.length, 1);
  strictEqual(args.proofs?.length, 1);
  deepStrictEqual(args.blobVersionedHashes, [
    blobVersionedHash(args.commitments![0]),
  ]);
  strictEqual(args.blobVersionedHashes![0][0], 1);
  // The wire form now carries everything; decoding it again verifies the
  // given proof instead of computing one.
  const again = decodeSendTxArgs(
    parseJsonValue(JSON.stringify(sendTxArgsToJson(args))),
  );
  const tx = buildTransaction(again);
  strictEqual(tx.type, 3);
  strictEqual(tx.sidecar?.version, 0);
  const res = signTransactionResult(signTransaction(tx, 1n, KEY));
  const t = Transaction.from(res.raw);
  strictEqual(t.type, 3);
  strictEqual(t.from, FROM);
  strictEqual(t.hash, res.tx.hash);
  strictEqual(t.blobs?.length, 1);
  strictEqual(t.blobs![0].data, encodeBytes(b));
  strictEqual(t.blobs![0].commitment, encodeBytes(args.commitments![0]));
  strictEqual(t.blobs![0].proof, encodeBytes(args.proofs![0]));
  deepStrictEqual(Object.keys(res.tx).slice(-5), [
    "yParity",
    "blobs",
    "commitments",
    "proofs",
    "hash",
  ]);
  strictEqual(res.tx.maxFeePerBlobGas, "0x3");
  // The hash excludes the sidecar: same as the tx without blobs.
  const bare = signTransactionResult(
    signTransaction({ ...tx, sidecar: undefined }, 1n, KEY),
  );
  strictEqual(bare.tx.hash, res.tx.hash);
  ok(bare.raw.length < res.raw.length);
});

Deno.test("processBlobSidecar() computes and verifies version-1 cell proofs", () => {
  const b = blob(2);
  const args = blobArgs(`,"blobVersion":1`, [b]);
  processBlobSidecar(args);
  strictEqual(args.proofs?.length, CELL_PROOFS_PER_BLOB);
  const again = decodeSendTxArgs(
    parseJsonValue(JSON.stringify(sendTxArgsToJson(args))),
  );
  strictEqual(again.blobVersion, 1);
  const tx = buildTransaction(again); // verifies the 128 cell proofs
  strictEqual(tx.sidecar?.version, 1);
  const res = signTransactionResult(signTransaction(tx, 1n, KEY));
  const t = Transaction.from(res.raw);
  strictEqual(t.from, FROM);
  strictEqual(t.hash, res.tx.hash);
  strictEqual((res.tx.proofs as string[]).length, CELL_PROOFS_PER_BLOB);
  // tamper with one cell proof
  const bad = decodeSendTxArgs(
    parseJsonValue(JSON.stringify(sendTxArgsToJson(args))),
  );
  bad.proofs![5] = bad.proofs![6];
  throws(
    () => processBlobSidecar(bad),
    /^BlobSidecarError: failed to verify blob proof: can't verify opening proof$/,
  );
});

Deno.test("processBlobSidecar() reports clef's errors", () => {
  const b = blob(1);
  const ok0 = blobArgs("", [b]);
  processBlobSidecar(ok0);
  const c = encodeBytes(ok0.commitments![0]);
  const p = encodeBytes(ok0.proofs![0]);
  const h = encodeBytes(ok0.blobVersionedHashes![0]);
  const other = "0x01" + "00".repeat(31);
  const cases: [string, Uint8Array[], string][] = [
    [
      `,"proofs":["${p}"]`,
      [b],
      "blob proofs provided while commitments were not",
    ],
    [
      `,"commitments":["${c}"]`,
      [b],
      "blob commitments provided while proofs were not",
    ],
    [
      `,"commitments":["${c}"],"proofs":["${p}"]`,
      [b, b],
      "number of blobs and commitments mismatch (have=1, want=2)",
    ],
    [
      `,"blobVersionedHashes":["${h}","${h}"]`,
      [b],
      "number of blobs and hashes mismatch (have=2, want=1)",
    ],
    [
      `,"commitments":["${c}"],"proofs":["${p}","${p}"]`,
      [b],
      "number of proofs and blobs mismatch (have=2, want=1 or 128)",
    ],
    [
      `,"commitments":["${c}"],"proofs":["${p}"],"blobVersionedHashes":["${other}"]`,
      [b],
      `blob hash verification failed (have=${other}, want=${h})`,
    ],
  ];
  for (const [extra, blobs, msg] of cases) {
    throws(() => processBlobSidecar(blobArgs(extra, blobs)), { message: msg });
  }
  // A proof of another blob does not verify.
  const other0 = blobArgs("", [blob(3)]);
  processBlobSidecar(other0);
  throws(
    () =>
      processBlobSidecar(
        blobArgs(
          `,"commitments":["${c}"],"proofs":["${
            encodeBytes(other0.proofs![0])
          }"]`,
          [b],
        ),
      ),
    /^BlobSidecarError: failed to verify blob proof: can't verify opening proof$/,
  );
  // A blob whose field element is not canonical cannot be committed to.
  throws(
    () => processBlobSidecar(blobArgs("", [blob(0xff)])),
    /^BlobSidecarError: blobs\[0\]: error computing commitment: /,
  );
});
