/**
 * Transactions for `account_signTransaction` (spec signing.md §6): type
 * selection from a {@linkcode SendTxArgs}, signing hashes with the
 * configured chain id, signing, the raw network encoding and the hash.
 *
 * Signing goes through stave's one secp256k1 path (`./signature.ts`
 * `signHash`: RFC 6979, low-S, recovery id), so signatures are
 * byte-identical to go-ethereum's. Encoding is done here rather than with
 * micro-eth-signer's `Transaction` because clef's semantics differ from
 * it (absent fields become 0, the signing chain id overrides the request's,
 * legacy v is EIP-155 with the configured chain, blob sidecars).
 *
 * @module
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { StaveError } from "../errors.ts";
import { HandlerCrashError } from "./eip712.ts";
import { encodeRlp, quantityBytes, type RlpItem } from "./_rlp.ts";
import { authorizationRlpItem } from "./authorization.ts";
import { CELL_PROOFS_PER_BLOB, processBlobSidecar } from "./blob.ts";
import type {
  AccessTuple,
  SendTxArgs,
  SetCodeAuthorization,
} from "./send_tx_args.ts";
import { signHash } from "./signature.ts";

/** Transaction types stave signs (0 legacy … 4 set-code). */
export type TxType = 0 | 1 | 2 | 3 | 4;

/** A blob sidecar: version 0 (one proof per blob) or 1 (128 cell proofs). */
export interface BlobSidecar {
  /** 0: one blob proof per blob; 1: 128 cell proofs per blob. */
  version: 0 | 1;
  /** The blobs. */
  blobs: Uint8Array[];
  /** One commitment per blob. */
  commitments: Uint8Array[];
  /** The proofs. */
  proofs: Uint8Array[];
}

/**
 * An unsigned transaction. Every field is present; fields the type does
 * not use are 0/empty and ignored by the encoders.
 */
export interface UnsignedTransaction {
  /** Transaction type. */
  type: TxType;
  /** The request's chainId (0 when absent); replaced by C when signing. */
  chainId: bigint;
  /** Sender nonce. */
  nonce: bigint;
  /** Gas price (types 0 and 1). */
  gasPrice: bigint;
  /** Tip cap (types 2–4). */
  maxPriorityFeePerGas: bigint;
  /** Fee cap (types 2–4). */
  maxFeePerGas: bigint;
  /** Gas limit. */
  gas: bigint;
  /** Recipient; undefined = contract creation (types 0–2 only). */
  to?: Uint8Array;
  /** Wei transferred. */
  value: bigint;
  /** Calldata. */
  data: Uint8Array;
  /** Access list (types 1–4). */
  accessList: AccessTuple[];
  /** Blob fee cap (type 3). */
  maxFeePerBlobGas: bigint;
  /** Blob hashes (type 3). */
  blobVersionedHashes: Uint8Array[];
  /** EIP-7702 authorizations (type 4). */
  authorizationList: SetCodeAuthorization[];
  /** Blob sidecar (type 3, when blobs were given). */
  sidecar?: BlobSidecar;
}

/** A signed transaction: chainId = C, v/r/s set. */
export interface SignedTransaction extends UnsignedTransaction {
  /** Legacy: recid + 35 + 2C; typed: yParity (0/1). */
  v: bigint;
  /** Signature r. */
  r: bigint;
  /** Signature s. */
  s: bigint;
}

/** A build or signing error returned to the caller with clef's text. */
export class TransactionError extends StaveError {}

/**
 * A non-positive chain id makes clef's signer panic; the client sees
 * JSON-RPC -32603 `method handler crashed`.
 */
export class ChainIdPanicError extends HandlerCrashError {
  /**
   * Creates the error.
   *
   * @param chainId The configured chain id.
   */
  constructor(chainId: bigint) {
    super(`invalid chainID ${chainId}`);
  }
}

/**
 * Builds the unsigned transaction from a request (clef's
 * `SendTxArgs.ToTransaction`, plus stave's type 4). Runs the blob sidecar
 * processing first, which may fill in `commitments`, `proofs` and
 * `blobVersionedHashes` of `args` (mutated, as in clef). A request with
 * `blobs` needs `loadKzg()` (`blob.ts`) to have resolved first.
 *
 * @param args The request.
 * @returns The unsigned transaction.
 * @throws {TransactionError} e.g. `transaction recipient must be set for
 * blob transactions`; sidecar errors (`BlobSidecarError`).
 *
 * @example Usage
 * ```ts
 * import { buildTransaction } from "./tx.ts";
 * import { emptySendTxArgs } from "./send_tx_args.ts";
 * import { strictEqual } from "node:assert/strict";
 * const args = { ...emptySendTxArgs(), accessList: [] };
 * strictEqual(buildTransaction(args).type, 1);
 * ```
 */
export function buildTransaction(args: SendTxArgs): UnsignedTransaction {
  const to = args.to?.bytes.slice();
  processBlobSidecar(args);
  if (args.authorizationList !== undefined) {
    if (args.blobVersionedHashes !== undefined) {
      throw new TransactionError(
        "transaction cannot have both blobVersionedHashes and authorizationList",
      );
    }
    if (to === undefined) {
      throw new TransactionError(
        "transaction recipient must be set for set-code transactions",
      );
    }
  }
  const data = args.input ?? args.data ?? new Uint8Array(0);
  const base: UnsignedTransaction = {
    type: 0,
    chainId: args.chainId ?? 0n,
    nonce: args.nonce,
    gasPrice: 0n,
    maxPriorityFeePerGas: 0n,
    maxFeePerGas: 0n,
    gas: args.gas,
    to,
    value: args.value,
    data: data.slice(),
    accessList: args.accessList ?? [],
    maxFeePerBlobGas: 0n,
    blobVersionedHashes: [],
    authorizationList: [],
  };
  const fees = {
    maxPriorityFeePerGas: args.maxPriorityFeePerGas ?? 0n,
    maxFeePerGas: args.maxFeePerGas ?? 0n,
  };
  if (args.authorizationList !== undefined) {
    return {
      ...base,
      ...fees,
      type: 4,
      authorizationList: args.authorizationList,
    };
  }
  if (args.blobVersionedHashes !== undefined) {
    if (to === undefined) {
      throw new TransactionError(
        "transaction recipient must be set for blob transactions",
      );
    }
    const tx: UnsignedTransaction = {
      ...base,
      ...fees,
      type: 3,
      maxFeePerBlobGas: args.maxFeePerBlobGas ?? 0n,
      blobVersionedHashes: args.blobVersionedHashes,
    };
    if (args.blobs !== undefined) {
      const proofs = args.proofs ?? [];
      tx.sidecar = {
        version: proofs.length === args.blobs.length * CELL_PROOFS_PER_BLOB
          ? 1
          : 0,
        blobs: args.blobs,
        commitments: args.commitments ?? [],
        proofs,
      };
    }
    return tx;
  }
  if (args.maxFeePerGas !== undefined) return { ...base, ...fees, type: 2 };
  if (args.accessList !== undefined) {
    return { ...base, type: 1, gasPrice: args.gasPrice ?? 0n };
  }
  return { ...base, type: 0, gasPrice: args.gasPrice ?? 0n };
}

const q = quantityBytes;

function accessListItem(list: AccessTuple[]): RlpItem[] {
  return list.map((t) => [t.address, t.storageKeys]);
}

// The typed payload fields before the signature, with chain id `chainId`.
function typedFields(tx: UnsignedTransaction, chainId: bigint): RlpItem[] {
  const to = tx.to ?? new Uint8Array(0);
  switch (tx.type) {
    case 1:
      return [
        q(chainId),
        q(tx.nonce),
        q(tx.gasPrice),
        q(tx.gas),
        to,
        q(tx.value),
        tx.data,
        accessListItem(tx.accessList),
      ];
    case 2:
    case 3:
    case 4: {
      const fields: RlpItem[] = [
        q(chainId),
        q(tx.nonce),
        q(tx.maxPriorityFeePerGas),
        q(tx.maxFeePerGas),
        q(tx.gas),
        to,
        q(tx.value),
        tx.data,
        accessListItem(tx.accessList),
      ];
      if (tx.type === 3) {
        fields.push(q(tx.maxFeePerBlobGas), tx.blobVersionedHashes);
      } else if (tx.type === 4) {
        fields.push(tx.authorizationList.map(authorizationRlpItem));
      }
      return fields;
    }
    default:
      throw new RangeError(`not a typed transaction: ${tx.type}`);
  }
}

function legacyFields(tx: UnsignedTransaction): RlpItem[] {
  return [
    q(tx.nonce),
    q(tx.gasPrice),
    q(tx.gas),
    tx.to ?? new Uint8Array(0),
    q(tx.value),
    tx.data,
  ];
}

function typed(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = type;
  out.set(body, 1);
  return out;
}

function checkChainId(chainId: bigint): void {
  if (chainId <= 0n) throw new ChainIdPanicError(chainId);
}

/**
 * The digest signed for a transaction under chain id `chainId`
 * (signing.md §6.3; EIP-155 for legacy, the typed payload otherwise).
 *
 * @param tx The unsigned transaction.
 * @param chainId The configured chain id C (> 0).
 * @returns The 32-byte signing hash.
 * @throws {ChainIdPanicError} when C ≤ 0.
 *
 * @example Usage
 * ```ts
 * import { buildTransaction, signingHash } from "./tx.ts";
 * import { emptySendTxArgs } from "./send_tx_args.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(signingHash(buildTransaction(emptySendTxArgs()), 1n).length, 32);
 * ```
 */
export function signingHash(
  tx: UnsignedTransaction,
  chainId: bigint,
): Uint8Array {
  checkChainId(chainId);
  if (tx.type === 0) {
    return keccak_256(
      encodeRlp([...legacyFields(tx), q(chainId), q(0n), q(0n)]),
    );
  }
  return keccak_256(typed(tx.type, encodeRlp(typedFields(tx, chainId))));
}

/**
 * Signs a transaction with the configured chain id, as clef's keystore
 * wallet does (`SignTxWithPassphrase` with the latest signer for C).
 *
 * @param tx The unsigned transaction.
 * @param chainId The configured chain id C.
 * @param privateKey 32-byte secret key (not wiped here; the caller does).
 * @returns The signed transaction (typed: chainId = C).
 * @throws {ChainIdPanicError} when C ≤ 0.
 * @throws {TransactionError} `invalid chain id for signer: have <x> want
 * <C>` when a typed transaction carries another non-zero chain id.
 *
 * @example Usage
 * ```ts
 * import { buildTransaction, signTransaction } from "./tx.ts";
 * import { emptySendTxArgs } from "./send_tx_args.ts";
 * import { strictEqual } from "node:assert/strict";
 * const signed = signTransaction(buildTransaction(emptySendTxArgs()), 1n, new Uint8Array(32).fill(1));
 * strictEqual(signed.v === 37n || signed.v === 38n, true);
 * ```
 */
export function signTransaction(
  tx: UnsignedTransaction,
  chainId: bigint,
  privateKey: Uint8Array,
): SignedTransaction {
  checkChainId(chainId);
  if (tx.type !== 0 && tx.chainId !== 0n && tx.chainId !== chainId) {
    throw new TransactionError(
      `invalid chain id for signer: have ${tx.chainId} want ${chainId}`,
    );
  }
  const sig = signHash(signingHash(tx, chainId), privateKey);
  const r = bytesToBigint(sig.subarray(0, 32));
  const s = bytesToBigint(sig.subarray(32, 64));
  const recid = BigInt(sig[64]);
  sig.fill(0);
  if (tx.type === 0) {
    return { ...tx, v: recid + 35n + 2n * chainId, r, s };
  }
  return { ...tx, chainId, v: recid, r, s };
}

function bytesToBigint(b: Uint8Array): bigint {
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n;
}

function signedBody(tx: SignedTransaction): RlpItem[] {
  if (tx.type === 0) return [...legacyFields(tx), q(tx.v), q(tx.r), q(tx.s)];
  return [...typedFields(tx, tx.chainId), q(tx.v), q(tx.r), q(tx.s)];
}

/**
 * The canonical network encoding (`raw`, signing.md §6.4). Type-3
 * transactions with a sidecar are wrapped as `[body, blobs, commitments,
 * proofs]` (version 0) or `[body, 1, blobs, commitments, cellProofs]`.
 *
 * @param tx The signed transaction.
 * @returns The raw bytes.
 *
 * @example Usage
 * ```ts
 * import { buildTransaction, encodeRawTransaction, signTransaction } from "./tx.ts";
 * import { emptySendTxArgs } from "./send_tx_args.ts";
 * import { ok } from "node:assert/strict";
 * const raw = encodeRawTransaction(signTransaction(
 *   buildTransaction({ ...emptySendTxArgs(), maxFeePerGas: 1n }), 1n, new Uint8Array(32).fill(1),
 * ));
 * ok(raw[0] === 2);
 * ```
 */
export function encodeRawTransaction(tx: SignedTransaction): Uint8Array {
  if (tx.type === 0) return encodeRlp(signedBody(tx));
  const body = signedBody(tx);
  if (tx.type === 3 && tx.sidecar) {
    const sc = tx.sidecar;
    const wrapper: RlpItem[] = sc.version === 1
      ? [body, q(1n), sc.blobs, sc.commitments, sc.proofs]
      : [body, sc.blobs, sc.commitments, sc.proofs];
    return typed(3, encodeRlp(wrapper));
  }
  return typed(tx.type, encodeRlp(body));
}

/**
 * The transaction hash: keccak of the encoding without any blob sidecar
 * (signing.md §6.5).
 *
 * @param tx The signed transaction.
 * @returns The 32-byte hash.
 *
 * @example Usage
 * ```ts
 * import { buildTransaction, signTransaction, transactionHash } from "./tx.ts";
 * import { emptySendTxArgs } from "./send_tx_args.ts";
 * import { strictEqual } from "node:assert/strict";
 * const tx = signTransaction(buildTransaction(emptySendTxArgs()), 5n, new Uint8Array(32).fill(1));
 * strictEqual(transactionHash(tx).length, 32);
 * ```
 */
export function transactionHash(tx: SignedTransaction): Uint8Array {
  return keccak_256(encodeRawTransaction({ ...tx, sidecar: undefined }));
}
