/**
 * go-ethereum's transaction JSON (`types.Transaction.MarshalJSON`) and
 * clef's `SignTransactionResult` `{raw, tx}` (spec signing.md §6.6,
 * external-api.md §4.4).
 *
 * @module
 */
import { encodeBytes, encodeQuantity } from "./hexutil.ts";
import { accessListToJson, authorizationListToJson } from "./send_tx_args.ts";
import {
  encodeRawTransaction,
  type SignedTransaction,
  transactionHash,
} from "./tx.ts";

import type { SignTransactionResult } from "../ui/ui.ts";
export type { SignTransactionResult };

/**
 * Renders a signed transaction as go-ethereum's JSON: keys in Go's field
 * order, `null` for unused fee fields, `to` null for creations, addresses
 * lowercase, `yParity` for typed transactions, sidecar lists only when a
 * sidecar is attached, `hash` last. For type 4 the `authorizationList` is
 * always written (geth's decoder requires it), even when empty.
 *
 * @param tx The signed transaction.
 * @returns The JSON object.
 *
 * @example Usage
 * ```ts
 * import { transactionToJson } from "./tx_json.ts";
 * import { buildTransaction, signTransaction } from "./tx.ts";
 * import { emptySendTxArgs } from "./send_tx_args.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 * const tx = signTransaction(buildTransaction(emptySendTxArgs()), 1n, new Uint8Array(32).fill(1));
 * deepStrictEqual(Object.keys(transactionToJson(tx)), [
 *   "type", "chainId", "nonce", "to", "gas", "gasPrice", "maxPriorityFeePerGas",
 *   "maxFeePerGas", "value", "input", "v", "r", "s", "hash",
 * ]);
 * ```
 */
export function transactionToJson(
  tx: SignedTransaction,
): Record<string, unknown> {
  const q = encodeQuantity;
  const typed = tx.type !== 0;
  const dynamic = tx.type >= 2;
  // Legacy: EIP-155 chain id recovered from v ((v - 35) / 2).
  const chainId = typed ? tx.chainId : (tx.v - 35n) / 2n;
  const out: Record<string, unknown> = {
    type: q(tx.type),
    chainId: q(chainId),
    nonce: q(tx.nonce),
    to: tx.to ? encodeBytes(tx.to) : null,
    gas: q(tx.gas),
    gasPrice: dynamic ? null : q(tx.gasPrice),
    maxPriorityFeePerGas: dynamic ? q(tx.maxPriorityFeePerGas) : null,
    maxFeePerGas: dynamic ? q(tx.maxFeePerGas) : null,
  };
  if (tx.type === 3) out.maxFeePerBlobGas = q(tx.maxFeePerBlobGas);
  out.value = q(tx.value);
  out.input = encodeBytes(tx.data);
  if (typed) out.accessList = accessListToJson(tx.accessList);
  if (tx.type === 3 && tx.blobVersionedHashes.length > 0) {
    out.blobVersionedHashes = tx.blobVersionedHashes.map(encodeBytes);
  }
  if (tx.type === 4) {
    out.authorizationList = authorizationListToJson(tx.authorizationList);
  }
  out.v = q(tx.v);
  out.r = q(tx.r);
  out.s = q(tx.s);
  if (typed) out.yParity = q(tx.v);
  if (tx.type === 3 && tx.sidecar) {
    const sc = tx.sidecar;
    if (sc.blobs.length > 0) out.blobs = sc.blobs.map(encodeBytes);
    if (sc.commitments.length > 0) {
      out.commitments = sc.commitments.map(encodeBytes);
    }
    if (sc.proofs.length > 0) out.proofs = sc.proofs.map(encodeBytes);
  }
  out.hash = encodeBytes(transactionHash(tx));
  return out;
}

/**
 * clef's `SignTransactionResult` for a signed transaction.
 *
 * @param tx The signed transaction.
 * @returns `{raw, tx}`.
 *
 * @example Usage
 * ```ts
 * import { signTransactionResult } from "./tx_json.ts";
 * import { buildTransaction, signTransaction } from "./tx.ts";
 * import { emptySendTxArgs } from "./send_tx_args.ts";
 * import { ok } from "node:assert/strict";
 * const tx = signTransaction(buildTransaction(emptySendTxArgs()), 1n, new Uint8Array(32).fill(1));
 * ok(signTransactionResult(tx).raw.startsWith("0xf8"));
 * ```
 */
export function signTransactionResult(
  tx: SignedTransaction,
): SignTransactionResult {
  return {
    raw: encodeBytes(encodeRawTransaction(tx)),
    tx: transactionToJson(tx),
  };
}
