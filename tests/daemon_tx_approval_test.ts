/**
 * issue 7 finding 5: transactions that pass validation and approval must get
 * clef's answer, not -32603 `method handler crashed`: a transaction without
 * `from`, and blob transactions with `blobVersion` ≠ 0 (EIP-7594 cell
 * proofs), with a real sidecar.
 *
 * The expected answers were recorded from the real clef (go-ethereum
 * v1.17.3, `--chainid 4`, approve-all rules, the same key) on the same
 * requests: error objects verbatim, results as the SHA-256 of
 * `JSON.stringify(result)` (the whole `{raw, tx}` with its ≈0.5 MB sidecar,
 * in clef's key order).
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  blobToCommitment,
  computeBlobProof,
  computeCellProofs,
  loadKzg,
} from "../src/signing/blob.ts";
import {
  APPROVE_ALL_RULES,
  IpcClient,
  type RpcResponse,
  setupSigner,
  startDaemon,
} from "./_daemon.ts";

const FROM = "0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6";
const TO = "0x8A8eAFb1cf62BfBeb1741769DAE1a9dd47996192";

function hex(b: Uint8Array): string {
  return "0x" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * The blob sent to clef: field element i = 0x00 ‖ 31 bytes of a generator
 * (in float arithmetic, exactly as the request sent to clef was made).
 */
function testBlob(): Uint8Array {
  const blob = new Uint8Array(131072);
  let x = 12345;
  for (let i = 0; i < 4096; i++) {
    for (let j = 1; j < 32; j++) {
      x = (x * 1103515245 + 12345) >>> 0;
      blob[i * 32 + j] = x >>> 24;
    }
  }
  return blob;
}

const BLOB_TX = {
  from: FROM,
  to: TO,
  gas: "0x5208",
  maxFeePerGas: "0x77359400",
  maxPriorityFeePerGas: "0x3b9aca00",
  maxFeePerBlobGas: "0x3b9aca00",
  value: "0x0",
  nonce: "0x1",
  chainId: "0x4",
};

/** SHA-256 of `JSON.stringify(result)` of clef's answers. */
const CLEF = {
  /** Version-1 sidecar of one blob (128 cell proofs). */
  cellProofs1:
    "1f8f3e1f895a1f040ea309e0de0d8b95afd27580f4013598d60e13acd82596a4",
  /** Version-0 sidecar of the same blob (one blob proof). */
  blobProof1:
    "598e83c19ba5107c4bc6d0ca954a5d8e247b4083e4e00982ae597dc4270c02a8",
  /** Version-1 sidecar of two copies of the blob (256 cell proofs). */
  cellProofs2:
    "aec17b271d5bc1edff8b24079f45d12fce5899efaae4d097e7942b07e6adc1c8",
  /** Blob hashes only, `blobVersion: 1`. */
  hashesOnly:
    "fd36c104188edc8b705541c834283ee96665a2dfa45e22e5fecbde3b8e49b48c",
};

function fingerprint(r: RpcResponse, what: string): string {
  ok(!r.error, `${what}: ${JSON.stringify(r.error)}`);
  return hex(sha256(new TextEncoder().encode(JSON.stringify(r.result))))
    .slice(2);
}

Deno.test({
  name:
    "daemon answers approved transactions as clef does (no from, blobVersion 1)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await loadKzg();
    const blob = hex(testBlob());
    const commitment = blobToCommitment(testBlob());
    const cellProofs = computeCellProofs(testBlob()).map(hex);
    const s = await setupSigner({ rulesSource: APPROVE_ALL_RULES });
    const d = await startDaemon(s);
    const c = await IpcClient.connect(d.ipcPath);
    const sign = (tx: Record<string, unknown>) =>
      c.request("account_signTransaction", [tx]);
    try {
      await t.step("a transaction without from: unknown account", async () => {
        const r = await sign({
          to: TO,
          gas: "0x5208",
          gasPrice: "0x3b9aca00",
          value: "0x1",
          nonce: "0x0",
        });
        deepStrictEqual(r.error, { code: -32000, message: "unknown account" });
      });

      await t.step(
        "blobVersion 1 with blobs only: 128 cell proofs computed",
        async () => {
          const r = await sign({ ...BLOB_TX, blobVersion: 1, blobs: [blob] });
          strictEqual(fingerprint(r, "v1"), CLEF.cellProofs1);
          const tx = (r.result as { tx: { proofs: string[] } }).tx;
          strictEqual(tx.proofs.length, 128);
          deepStrictEqual(tx.proofs, cellProofs);
        },
      );

      await t.step(
        "blobVersion 1 with commitments and cell proofs given",
        async () => {
          const r = await sign({
            ...BLOB_TX,
            blobVersion: 1,
            blobs: [blob],
            commitments: [hex(commitment)],
            proofs: cellProofs,
          });
          strictEqual(fingerprint(r, "v1 given"), CLEF.cellProofs1);
        },
      );

      await t.step(
        "blobVersion 1 with two blobs and 256 cell proofs",
        async () => {
          const r = await sign({
            ...BLOB_TX,
            blobVersion: 1,
            blobs: [blob, blob],
            commitments: [hex(commitment), hex(commitment)],
            proofs: [...cellProofs, ...cellProofs],
          });
          strictEqual(fingerprint(r, "v1 x2"), CLEF.cellProofs2);
        },
      );

      await t.step(
        "blobVersion 2 and 255 compute a version-0 sidecar",
        async () => {
          for (const blobVersion of [2, 255]) {
            const r = await sign({ ...BLOB_TX, blobVersion, blobs: [blob] });
            strictEqual(fingerprint(r, `v${blobVersion}`), CLEF.blobProof1);
          }
          const r0 = await sign({ ...BLOB_TX, blobVersion: 0, blobs: [blob] });
          strictEqual(fingerprint(r0, "v0"), CLEF.blobProof1);
        },
      );

      await t.step("blobVersion 1 without blobs signs the hashes", async () => {
        const r = await sign({
          ...BLOB_TX,
          blobVersion: 1,
          blobVersionedHashes: ["0x01" + "00".repeat(31)],
        });
        strictEqual(fingerprint(r, "hashes"), CLEF.hashesOnly);
      });

      await t.step("bad proofs: clef's text", async () => {
        const wrongCell = [...cellProofs.slice(0, 127), cellProofs[0]];
        const r1 = await sign({
          ...BLOB_TX,
          blobVersion: 1,
          blobs: [blob],
          commitments: [hex(commitment)],
          proofs: wrongCell,
        });
        deepStrictEqual(r1.error, {
          code: -32000,
          message: "failed to verify blob proof: can't verify opening proof",
        });
        const r0 = await sign({
          ...BLOB_TX,
          blobs: [blob],
          commitments: [hex(commitment)],
          proofs: [cellProofs[5]],
        });
        deepStrictEqual(r0.error, {
          code: -32000,
          message: "failed to verify blob proof: can't verify opening proof",
        });
        // A correct version-0 proof still verifies.
        const ok0 = await sign({
          ...BLOB_TX,
          blobs: [blob],
          commitments: [hex(commitment)],
          proofs: [hex(computeBlobProof(testBlob(), commitment))],
        });
        strictEqual(fingerprint(ok0, "v0 given"), CLEF.blobProof1);
      });

      await t.step("blobVersion 256: clef's decoding error", async () => {
        const r = await sign({ ...BLOB_TX, blobVersion: 256, blobs: [blob] });
        deepStrictEqual(r.error, {
          code: -32602,
          message:
            "invalid argument 0: json: cannot unmarshal number 256 into Go struct field SendTxArgs.blobVersion of type uint8",
        });
      });
      ok(!d.stderrText().includes("method handler crashed"), d.stderrText());
    } finally {
      c.close();
      await d.stop();
      await s.cleanup();
    }
  },
});
