/**
 * clef's `SendTxArgs` (spec signing.md §5): decoding from parsed JSON with
 * Go `encoding/json` semantics and the wire form in clef's field order.
 *
 * Go rules reproduced: keys match case-insensitively (exact match
 * preferred, Unicode simple folding so `ſ`/`K` match `s`/`k`), unknown keys
 * are ignored, the later of two matching keys wins, `null` clears pointer
 * and slice fields but is an error for `from`, `gas`, `nonce` and `value`
 * (their decoders see `null`), errors from hexutil decoders stop decoding at
 * once while plain type mismatches (`"accessList":"x"`, `"blobVersion":1.5`)
 * are remembered and reported at the end unless a later field fails first.
 *
 * Limitation: Go processes duplicate keys in input order; the parsed
 * object only keeps the last value of an exactly repeated key at the first
 * key's position, which only matters for `{"from":A,"FROM":B,"from":C}`.
 *
 * @module
 */
import type { JsonObject, JsonValue } from "../json.ts";
import { JsonNumber } from "../json.ts";
import { MixedcaseAddress } from "../address.ts";
import {
  decodeAddressJson,
  decodeBigJson,
  decodeBytesJson,
  decodeFixedJson,
  decodeHashJson,
  decodeMixedcaseAddressJson,
  decodeUint64Json,
  encodeBytes,
  encodeQuantity,
  type FieldContext,
  goJsonKind,
  UnmarshalTypeError,
} from "./hexutil.ts";

/** Size of one EIP-4844 blob in bytes. */
export const BLOB_SIZE = 131072;
/** Size of a KZG commitment or proof in bytes. */
export const KZG_POINT_SIZE = 48;
/**
 * Cap on list lengths accepted in a request (blobs, hashes, proofs, access
 * list entries, authorizations). 128 cell proofs × 64 blobs fits.
 */
export const MAX_TX_LIST_LENGTH = 8192;
/**
 * Cap on the number of blobs in a request (KZG work is ~0.2 s per blob;
 * mainnet allows far fewer per transaction). clef has no limit.
 */
export const MAX_BLOBS = 64;

/** One EIP-2930 access list entry. */
export interface AccessTuple {
  /** 20-byte account address. */
  address: Uint8Array;
  /** 32-byte storage slots. */
  storageKeys: Uint8Array[];
}

/** One signed EIP-7702 authorization (stave extension, signing.md §6.7). */
export interface SetCodeAuthorization {
  /** Chain id the authorization is valid on (0 = any). */
  chainId: bigint;
  /** 20-byte delegation target. */
  address: Uint8Array;
  /** Authority nonce. */
  nonce: bigint;
  /** Signature recovery id, 0 or 1. */
  yParity: number;
  /** Signature r. */
  r: bigint;
  /** Signature s. */
  s: bigint;
}

/**
 * The transaction request. `undefined` = absent (Go nil). `from` is always
 * set; when the request had none it is the zero address with an empty
 * original spelling.
 */
export interface SendTxArgs {
  /** Sender (`from`); zero address with empty original when absent. */
  from: MixedcaseAddress;
  /** Recipient; absent = contract creation. */
  to?: MixedcaseAddress;
  /** Gas limit (`gas`, 0 when absent). */
  gas: bigint;
  /** Legacy/EIP-2930 gas price. */
  gasPrice?: bigint;
  /** EIP-1559 fee cap (its presence selects type 2). */
  maxFeePerGas?: bigint;
  /** EIP-1559 tip cap. */
  maxPriorityFeePerGas?: bigint;
  /** Wei transferred (0 when absent). */
  value: bigint;
  /** Sender nonce (0 when absent). */
  nonce: bigint;
  /** Calldata under the legacy name `data`. */
  data?: Uint8Array;
  /** Calldata under the newer name `input` (preferred). */
  input?: Uint8Array;
  /** EIP-2930 access list (present, even empty, selects type 1). */
  accessList?: AccessTuple[];
  /** Chain id the caller expects (checked against the signer's). */
  chainId?: bigint;
  /** EIP-4844 blob fee cap. */
  maxFeePerBlobGas?: bigint;
  /** EIP-4844 versioned hashes (present, even empty, selects type 3). */
  blobVersionedHashes?: Uint8Array[];
  /** Sidecar version wanted when proofs are computed (0 or 1; 0–255 accepted). */
  blobVersion: number;
  /** Blob sidecar: 131072-byte blobs. */
  blobs?: Uint8Array[];
  /** Blob sidecar: 48-byte KZG commitments. */
  commitments?: Uint8Array[];
  /** Blob sidecar: 48-byte KZG blob or cell proofs. */
  proofs?: Uint8Array[];
  /** stave extension: present (even empty) selects a type-4 transaction. */
  authorizationList?: SetCodeAuthorization[];
}

/**
 * Returns an all-absent request (Go's zero `SendTxArgs`).
 *
 * @returns A fresh request with zero `from` and empty original.
 *
 * @example Usage
 * ```ts
 * import { emptySendTxArgs } from "./send_tx_args.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(emptySendTxArgs().from.original, "");
 * ```
 */
export function emptySendTxArgs(): SendTxArgs {
  return {
    from: new MixedcaseAddress(new Uint8Array(20), ""),
    gas: 0n,
    value: 0n,
    nonce: 0n,
    blobVersion: 0,
  };
}

// Go's foldName: ASCII upper-casing plus the two non-ASCII runes whose
// simple fold is an ASCII letter (U+017F ſ → S, U+212A Kelvin → K).
function foldName(s: string): string {
  let out = "";
  for (const ch of s) {
    if (ch === "\u017f") out += "S";
    else if (ch === "\u212a") out += "K";
    else if (ch >= "a" && ch <= "z") out += ch.toUpperCase();
    else out += ch;
  }
  return out;
}

/** Finds the field a JSON key fills, Go style (exact, then folded). */
function matchField<T extends string>(
  key: string,
  fields: readonly T[],
): T | undefined {
  if ((fields as readonly string[]).includes(key)) return key as T;
  const f = foldName(key);
  return fields.find((name) => foldName(name) === f);
}

const SEND_TX_FIELDS = [
  "from",
  "to",
  "gas",
  "gasPrice",
  "maxFeePerGas",
  "maxPriorityFeePerGas",
  "value",
  "nonce",
  "data",
  "input",
  "accessList",
  "chainId",
  "maxFeePerBlobGas",
  "blobVersionedHashes",
  "blobVersion",
  "blobs",
  "commitments",
  "proofs",
  "authorizationList",
] as const;
type SendTxField = typeof SEND_TX_FIELDS[number];

function isObject(v: JsonValue): v is JsonObject {
  return v !== null && typeof v === "object" && !Array.isArray(v) &&
    !(v instanceof JsonNumber);
}

/** Collects Go's "saved" type errors: the first one is reported at the end. */
class Saved {
  error?: Error;
  save(e: Error) {
    this.error ??= e;
  }
}

function checkListLength(list: JsonValue[], what: string) {
  const max = what === "blobs" ? MAX_BLOBS : MAX_TX_LIST_LENGTH;
  if (list.length > max) {
    throw new RangeError(`too many ${what} entries (${list.length} > ${max})`);
  }
}

// A JSON array into a Go slice: null → nil, non-array → saved type error.
function decodeSlice<T>(
  v: JsonValue,
  goType: string,
  ctx: FieldContext,
  saved: Saved,
  elem: (x: JsonValue) => T,
): T[] | undefined | "skip" {
  if (v === null) return undefined;
  if (!Array.isArray(v)) {
    saved.save(new UnmarshalTypeError(goJsonKind(v), goType, ctx));
    return "skip";
  }
  checkListLength(v, ctx.field);
  return v.map(elem);
}

// types.AccessTuple's generated UnmarshalJSON: an inner json.Unmarshal into
// {Address *common.Address; StorageKeys []common.Hash} plus required checks.
// Go's outer decoder re-labels every type error as SendTxArgs.accessList.
function decodeAccessTuple(v: JsonValue, ctx: FieldContext): AccessTuple {
  if (v !== null && !isObject(v)) {
    throw new UnmarshalTypeError(goJsonKind(v), "types.AccessTuple", ctx);
  }
  let address: Uint8Array | undefined;
  let storageKeys: Uint8Array[] | undefined;
  const saved = new Saved();
  if (v !== null) {
    for (const key of Object.keys(v)) {
      const field = matchField(key, ["address", "storageKeys"] as const);
      const value = v[key];
      if (field === "address") {
        address = value === null ? undefined : decodeAddressJson(value, ctx);
      } else if (field === "storageKeys") {
        const r = decodeSlice(
          value,
          "[]common.Hash",
          ctx,
          saved,
          (x) => decodeHashJson(x, ctx),
        );
        if (r !== "skip") storageKeys = r;
      }
    }
  }
  if (saved.error) throw saved.error;
  if (address === undefined) {
    throw new TypeError("missing required field 'address' for AccessTuple");
  }
  if (storageKeys === undefined) {
    throw new TypeError(
      "missing required field 'storageKeys' for AccessTuple",
    );
  }
  return { address, storageKeys };
}

const AUTH_FIELDS = [
  "chainId",
  "address",
  "nonce",
  "yParity",
  "r",
  "s",
] as const;

function decodeAuthorization(
  v: JsonValue,
  ctx: FieldContext,
): SetCodeAuthorization {
  if (v !== null && !isObject(v)) {
    throw new UnmarshalTypeError(
      goJsonKind(v),
      "types.SetCodeAuthorization",
      ctx,
    );
  }
  const got: Partial<SetCodeAuthorization> = {};
  if (v !== null) {
    for (const key of Object.keys(v)) {
      const field = matchField(key, AUTH_FIELDS);
      const value = v[key];
      if (field === undefined) continue;
      if (value === null) {
        delete got[field];
        continue;
      }
      switch (field) {
        case "chainId":
        case "r":
        case "s":
          got[field] = decodeBigJson(value, ctx);
          break;
        case "address":
          got.address = decodeAddressJson(value, ctx);
          break;
        case "nonce":
          got.nonce = decodeUint64Json(value, ctx);
          break;
        case "yParity": {
          const y = decodeUint64Json(value, ctx);
          if (y > 1n) {
            throw new RangeError(`invalid yParity ${y} in authorization`);
          }
          got.yParity = Number(y);
          break;
        }
      }
    }
  }
  for (const f of AUTH_FIELDS) {
    if (got[f] === undefined) {
      throw new TypeError(
        `missing required field '${f}' for SetCodeAuthorization`,
      );
    }
  }
  return got as SetCodeAuthorization;
}

// Go's decoding of a JSON number into a uint8 field.
function decodeUint8(
  v: JsonValue,
  ctx: FieldContext,
  saved: Saved,
): number | undefined {
  if (v === null) return undefined; // null leaves a value field unchanged
  if (!(v instanceof JsonNumber)) {
    saved.save(new UnmarshalTypeError(goJsonKind(v), "uint8", ctx));
    return undefined;
  }
  const lit = v.literal;
  if (!/^[0-9]+$/.test(lit) || lit.length > 20 || BigInt(lit) > 255n) {
    saved.save(new UnmarshalTypeError(`number ${lit}`, "uint8", ctx));
    return undefined;
  }
  return Number(lit);
}

/**
 * Decodes a `SendTxArgs` parameter as clef's Go JSON decoder does.
 *
 * @param v The parsed JSON parameter (`null` gives the all-absent request).
 * @returns The request; `from`/`to` keep the caller's spelling.
 * @throws {TypeError} with Go's message (`json: cannot unmarshal ...`,
 * `missing required field 'address' for AccessTuple`, ...).
 * @throws {RangeError} for fixed-size hex of the wrong length
 * (`hex string has length 4, want 40 for common.Address`) and lists over
 * {@linkcode MAX_TX_LIST_LENGTH} ({@linkcode MAX_BLOBS} for blobs).
 *
 * @example Usage
 * ```ts
 * import { decodeSendTxArgs } from "./send_tx_args.ts";
 * import { strictEqual, throws } from "node:assert/strict";
 * const args = decodeSendTxArgs(Object.assign(Object.create(null), {
 *   FROM: "0x9160dc9105f7de5dc5e7f3d97ef11da47269bda6", gas: "0x5208",
 * }));
 * strictEqual(args.gas, 21000n);
 * throws(() => decodeSendTxArgs(Object.assign(Object.create(null), { nonce: 1 })), {
 *   message: "json: cannot unmarshal non-string into Go struct field SendTxArgs.nonce of type hexutil.Uint64",
 * });
 * ```
 */
export function decodeSendTxArgs(v: JsonValue): SendTxArgs {
  const args = emptySendTxArgs();
  if (v === null) return args;
  if (!isObject(v)) {
    throw new UnmarshalTypeError(goJsonKind(v), "apitypes.SendTxArgs");
  }
  const saved = new Saved();
  for (const key of Object.keys(v)) {
    const field = matchField<SendTxField>(key, SEND_TX_FIELDS);
    if (field === undefined) continue;
    decodeField(args, field, v[key], saved);
  }
  if (saved.error) throw saved.error;
  return args;
}

function decodeField(
  args: SendTxArgs,
  field: SendTxField,
  v: JsonValue,
  saved: Saved,
): void {
  const ctx: FieldContext = { struct: "SendTxArgs", field };
  switch (field) {
    case "from":
      args.from = decodeMixedcaseAddressJson(v, ctx);
      return;
    case "to":
      args.to = v === null ? undefined : decodeMixedcaseAddressJson(v, ctx);
      return;
    case "gas":
    case "nonce":
      args[field] = decodeUint64Json(v, ctx);
      return;
    case "value":
      args.value = decodeBigJson(v, ctx);
      return;
    case "gasPrice":
    case "maxFeePerGas":
    case "maxPriorityFeePerGas":
    case "chainId":
    case "maxFeePerBlobGas":
      args[field] = v === null ? undefined : decodeBigJson(v, ctx);
      return;
    case "data":
    case "input":
      args[field] = v === null ? undefined : decodeBytesJson(v, ctx);
      return;
    case "accessList": {
      const r = decodeSlice(
        v,
        "types.AccessList",
        ctx,
        saved,
        (x) => decodeAccessTuple(x, ctx),
      );
      if (r !== "skip") args.accessList = r;
      return;
    }
    case "blobVersionedHashes": {
      const r = decodeSlice(
        v,
        "[]common.Hash",
        ctx,
        saved,
        (x) => decodeHashJson(x, ctx),
      );
      if (r !== "skip") args.blobVersionedHashes = r;
      return;
    }
    case "blobVersion": {
      const n = decodeUint8(v, ctx, saved);
      if (n !== undefined) args.blobVersion = n;
      return;
    }
    case "blobs":
    case "commitments":
    case "proofs": {
      const [goType, size] = field === "blobs"
        ? ["kzg4844.Blob", BLOB_SIZE]
        : field === "commitments"
        ? ["kzg4844.Commitment", KZG_POINT_SIZE]
        : ["kzg4844.Proof", KZG_POINT_SIZE];
      const r = decodeSlice(
        v,
        `[]${goType}`,
        ctx,
        saved,
        (x) => decodeFixedJson(x, goType, size, ctx),
      );
      if (r !== "skip") args[field] = r;
      return;
    }
    case "authorizationList": {
      const r = decodeSlice(
        v,
        "[]types.SetCodeAuthorization",
        ctx,
        saved,
        (x) => decodeAuthorization(x, ctx),
      );
      if (r !== "skip") args.authorizationList = r;
      return;
    }
  }
}

function nonEmpty<T>(list: T[] | undefined): list is T[] {
  return list !== undefined && list.length > 0;
}

/** JSON form of an access list (`[{"address","storageKeys"}]`). */
export function accessListToJson(
  list: AccessTuple[],
): { address: string; storageKeys: string[] }[] {
  return list.map((t) => ({
    address: encodeBytes(t.address),
    storageKeys: t.storageKeys.map(encodeBytes),
  }));
}

/** JSON form of an authorization list (go-ethereum field names). */
export function authorizationListToJson(
  list: SetCodeAuthorization[],
): Record<string, string>[] {
  return list.map((a) => ({
    chainId: encodeQuantity(a.chainId),
    address: encodeBytes(a.address),
    nonce: encodeQuantity(a.nonce),
    yParity: encodeQuantity(a.yParity),
    r: encodeQuantity(a.r),
    s: encodeQuantity(a.s),
  }));
}

/**
 * The wire form of a request as clef writes it (to UIs, rules, the audit
 * log): keys in clef's order, pointer fields omitted only when absent, list
 * fields omitted when absent or empty, `blobVersion` omitted when 0, and
 * `authorizationList` (stave) written whenever present.
 *
 * @param args The request.
 * @returns A plain object whose key order is the wire order.
 *
 * @example Usage
 * ```ts
 * import { emptySendTxArgs, sendTxArgsToJson } from "./send_tx_args.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(
 *   JSON.stringify(sendTxArgsToJson(emptySendTxArgs())),
 *   '{"from":"0x","to":null,"gas":"0x0","gasPrice":null,"maxFeePerGas":null,' +
 *     '"maxPriorityFeePerGas":null,"value":"0x0","nonce":"0x0"}',
 * );
 * ```
 */
export function sendTxArgsToJson(args: SendTxArgs): Record<string, unknown> {
  const q = (n: bigint | undefined) =>
    n === undefined ? null : encodeQuantity(n);
  const out: Record<string, unknown> = {
    from: args.from.toJSON(),
    to: args.to ? args.to.toJSON() : null,
    gas: encodeQuantity(args.gas),
    gasPrice: q(args.gasPrice),
    maxFeePerGas: q(args.maxFeePerGas),
    maxPriorityFeePerGas: q(args.maxPriorityFeePerGas),
    value: encodeQuantity(args.value),
    nonce: encodeQuantity(args.nonce),
  };
  if (args.data) out.data = encodeBytes(args.data);
  if (args.input) out.input = encodeBytes(args.input);
  if (args.accessList) out.accessList = accessListToJson(args.accessList);
  if (args.chainId !== undefined) out.chainId = q(args.chainId);
  if (args.maxFeePerBlobGas !== undefined) {
    out.maxFeePerBlobGas = q(args.maxFeePerBlobGas);
  }
  if (nonEmpty(args.blobVersionedHashes)) {
    out.blobVersionedHashes = args.blobVersionedHashes.map(encodeBytes);
  }
  if (args.blobVersion !== 0) out.blobVersion = args.blobVersion;
  if (nonEmpty(args.blobs)) out.blobs = args.blobs.map(encodeBytes);
  if (nonEmpty(args.commitments)) {
    out.commitments = args.commitments.map(encodeBytes);
  }
  if (nonEmpty(args.proofs)) out.proofs = args.proofs.map(encodeBytes);
  if (args.authorizationList) {
    out.authorizationList = authorizationListToJson(args.authorizationList);
  }
  return out;
}

/**
 * Deep copy of a request (validation mutates its argument, as clef does).
 *
 * @param args The request.
 * @returns An independent copy.
 *
 * @example Usage
 * ```ts
 * import { cloneSendTxArgs, emptySendTxArgs } from "./send_tx_args.ts";
 * import { notStrictEqual } from "node:assert/strict";
 * const a = emptySendTxArgs();
 * notStrictEqual(cloneSendTxArgs(a), a);
 * ```
 */
export function cloneSendTxArgs(args: SendTxArgs): SendTxArgs {
  const list = (l?: Uint8Array[]) => l?.map((x) => x.slice());
  return {
    ...args,
    data: args.data?.slice(),
    input: args.input?.slice(),
    accessList: args.accessList?.map((t) => ({
      address: t.address.slice(),
      storageKeys: t.storageKeys.map((k) => k.slice()),
    })),
    blobVersionedHashes: list(args.blobVersionedHashes),
    blobs: list(args.blobs),
    commitments: list(args.commitments),
    proofs: list(args.proofs),
    authorizationList: args.authorizationList?.map((a) => ({
      ...a,
      address: a.address.slice(),
    })),
  };
}
