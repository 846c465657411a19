/**
 * Gnosis Safe transactions (`account_signGnosisSafeTx`, spec signing.md §8):
 * decoding the Safe service's `safeTx` object with Go's JSON rules, the
 * EIP-712 `SafeTx` typed data built from it, the `safeTxHash` check with
 * clef's chain-id quirk, the pseudo-transaction used for validation, and
 * the result object.
 *
 * @module
 */
import { type MixedcaseAddress, toChecksumAddress } from "../address.ts";
import { constantTimeEqual, toHex } from "../_bytes.ts";
import { StaveError } from "../errors.ts";
import { JsonNumber, type JsonValue } from "../json.ts";
import { goQuote } from "../ui/go_format.ts";
import type { GoValue } from "./_go_fmt.ts";
import { parseBig256 } from "./_go_hex.ts";
import { hashTypedData, type TypedData } from "./eip712.ts";
import {
  decodeAddressJson,
  decodeBytesJson,
  decodeHashJson,
  decodeMixedcaseAddressJson,
  type FieldContext,
  goJsonKind,
  UnmarshalTypeError,
} from "./hexutil.ts";

/** A decoded Safe transaction (clef's `GnosisSafeTx`). */
export interface GnosisSafeTx {
  /** Output field; parsed if present. */
  signature: Uint8Array;
  /** Output field (`contractTransactionHash`); parsed if present. */
  contractTransactionHash: Uint8Array;
  /** Output field; parsed if present (null when absent). */
  sender: MixedcaseAddress | null;
  /** The Safe (null when absent: the zero address with an empty original). */
  safe: MixedcaseAddress | null;
  /** The call target (null when absent). */
  to: MixedcaseAddress | null;
  /** `value` (decimal or hex string in JSON). */
  value: bigint;
  /** `gasPrice` (decimal or hex string in JSON). */
  gasPrice: bigint;
  /** Call data, or null (`"data": null` or absent). */
  data: Uint8Array | null;
  /** 0 = call, 1 = delegatecall. */
  operation: number;
  /** 20-byte token address paying the refund. */
  gasToken: Uint8Array;
  /** 20-byte refund receiver. */
  refundReceiver: Uint8Array;
  /** `baseGas` (JSON integer literal). */
  baseGas: bigint;
  /** `safeTxGas` (JSON integer literal). */
  safeTxGas: bigint;
  /** The Safe nonce (JSON integer literal). */
  nonce: bigint;
  /** The expected EIP-712 digest (`safeTxHash`). */
  safeTxHash: Uint8Array;
  /** Optional chain id (null when absent). */
  chainId: bigint | null;
}

/** A JSON value Go would not decode into a `GnosisSafeTx` (Go's text). */
export class GnosisDecodeError extends TypeError {
  /**
   * Creates the error.
   *
   * @param message Go's error text.
   */
  constructor(message: string) {
    super(message);
    this.name = "GnosisDecodeError";
  }
}

const FIELDS = [
  "signature",
  "contractTransactionHash",
  "sender",
  "safe",
  "to",
  "value",
  "gasPrice",
  "data",
  "operation",
  "gasToken",
  "refundReceiver",
  "baseGas",
  "safeTxGas",
  "nonce",
  "safeTxHash",
  "chainId",
] as const;
type Field = typeof FIELDS[number];

function foldKey(k: string): string {
  let out = "";
  for (const c of k) {
    if (c === "\u017f") out += "S";
    else if (c === "\u212a") out += "K";
    else if (c.charCodeAt(0) < 0x80) out += c.toUpperCase();
    else out += c;
  }
  return out;
}

function matchField(key: string): Field | null {
  for (const f of FIELDS) if (f === key) return f;
  const folded = foldKey(key);
  for (const f of FIELDS) if (foldKey(f) === folded) return f;
  return null;
}

/** Raw JSON text of a value as an `UnmarshalJSON` method would see it. */
function rawJson(v: JsonValue): string {
  if (v instanceof JsonNumber) return v.literal;
  return JSON.stringify(v);
}

/**
 * `big.Int.UnmarshalJSON` (Go base-0 integer syntax on the raw JSON text;
 * of JSON literals only plain integers qualify, strings keep their quotes).
 */
function decodeBigIntJson(v: JsonValue): bigint | null {
  if (v === null) return null; // ignored, like the JSON package
  const text = rawJson(v);
  if (!/^-?(0|[1-9][0-9]*)$/.test(text)) {
    throw new GnosisDecodeError(
      `math/big: cannot unmarshal ${goQuote(text)} into a *big.Int`,
    );
  }
  return BigInt(text);
}

function ctx(field: string): FieldContext {
  return { struct: "GnosisSafeTx", field };
}

/**
 * Decodes a Safe transaction object as Go's `json.Unmarshal` into clef's
 * `GnosisSafeTx` (case-insensitive keys, unknown keys ignored; errors from
 * the field decoders abort at once, plain type mismatches are reported
 * after the whole object was read).
 *
 * @param v The `safeTx` parameter.
 * @returns The decoded transaction.
 * @throws {TypeError | RangeError} with Go's texts
 * (`json: cannot unmarshal number into Go struct field GnosisSafeTx.value of type math.Decimal256`, ...).
 *
 * @example Usage
 * ```ts
 * import { decodeGnosisSafeTx } from "./gnosis.ts";
 * import { throws } from "node:assert/strict";
 * throws(() => decodeGnosisSafeTx("x"), /into Go value of type core.GnosisSafeTx/);
 * ```
 */
export function decodeGnosisSafeTx(v: JsonValue): GnosisSafeTx {
  const tx: GnosisSafeTx = {
    signature: new Uint8Array(0),
    contractTransactionHash: new Uint8Array(32),
    sender: null,
    safe: null,
    to: null,
    value: 0n,
    gasPrice: 0n,
    data: null,
    operation: 0,
    gasToken: new Uint8Array(20),
    refundReceiver: new Uint8Array(20),
    baseGas: 0n,
    safeTxGas: 0n,
    nonce: 0n,
    safeTxHash: new Uint8Array(32),
    chainId: null,
  };
  if (v === null) return tx;
  if (
    typeof v !== "object" || Array.isArray(v) || v instanceof JsonNumber
  ) {
    throw new UnmarshalTypeError(goJsonKind(v), "core.GnosisSafeTx");
  }
  let saved: Error | null = null;
  const save = (e: Error) => {
    saved ??= e;
  };
  for (const key of Object.keys(v)) {
    const f = matchField(key);
    const x = v[key];
    switch (f) {
      case null:
        break;
      case "signature":
        tx.signature = decodeBytesJson(x, ctx(f));
        break;
      case "contractTransactionHash":
      case "safeTxHash":
        tx[f] = decodeHashJson(x, ctx(f));
        break;
      case "sender":
      case "safe":
      case "to":
        tx[f] = decodeMixedcaseAddressJson(x, ctx(f));
        break;
      case "gasToken":
      case "refundReceiver":
        tx[f] = decodeAddressJson(x, ctx(f));
        break;
      case "data":
        tx.data = x === null ? null : decodeBytesJson(x, ctx(f));
        break;
      case "value":
      case "gasPrice":
        if (x === null) break;
        if (typeof x !== "string") {
          save(
            new UnmarshalTypeError(goJsonKind(x), "math.Decimal256", ctx(f)),
          );
          break;
        }
        {
          const n = parseBig256(x);
          if (n === null) {
            throw new GnosisDecodeError(
              `invalid hex or decimal integer ${goQuote(x)}`,
            );
          }
          tx[f] = n;
        }
        break;
      case "operation":
        if (x === null) break;
        if (x instanceof JsonNumber) {
          if (/^[0-9]+$/.test(x.literal) && BigInt(x.literal) <= 255n) {
            tx.operation = Number(x.literal);
          } else {
            save(
              new UnmarshalTypeError(`number ${x.literal}`, "uint8", ctx(f)),
            );
          }
        } else {
          save(new UnmarshalTypeError(goJsonKind(x), "uint8", ctx(f)));
        }
        break;
      case "baseGas":
      case "safeTxGas":
      case "nonce": {
        const n = decodeBigIntJson(x);
        if (n !== null) tx[f] = n;
        break;
      }
      case "chainId": {
        if (x === null) {
          tx.chainId = null;
          break;
        }
        const text = typeof x === "string" ? x : rawJson(x);
        const n = parseBig256(text);
        if (n === null) {
          throw new GnosisDecodeError(
            `invalid hex or decimal integer ${goQuote(text)}`,
          );
        }
        tx.chainId = n;
        break;
      }
    }
  }
  if (saved !== null) throw saved;
  return tx;
}

/** Go `big.Int.Uint64()`: the low 64 bits of the absolute value. */
function lowUint64(n: bigint): bigint {
  return (n < 0n ? -n : n) & 0xffffffffffffffffn;
}

function addressBytes(a: MixedcaseAddress | null): Uint8Array {
  return a === null ? new Uint8Array(20) : a.bytes;
}

/**
 * Builds the EIP-712 `SafeTx` typed data clef signs (signing.md §8.2).
 *
 * @param tx The decoded Safe transaction.
 * @returns The typed data.
 *
 * @example Usage
 * ```ts
 * import { decodeGnosisSafeTx, gnosisSafeTxToTypedData } from "./gnosis.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(gnosisSafeTxToTypedData(decodeGnosisSafeTx(null)).primaryType, "SafeTx");
 * ```
 */
export function gnosisSafeTxToTypedData(tx: GnosisSafeTx): TypedData {
  const domainType = [{ name: "verifyingContract", type: "address" }];
  if (tx.chainId !== null) {
    domainType.unshift({ name: "chainId", type: "uint256" });
  }
  const message: { [key: string]: GoValue } = Object.create(null);
  message.to = toChecksumAddress(addressBytes(tx.to));
  message.value = tx.value.toString();
  message.data = tx.data ?? new Uint8Array(0);
  message.operation = String(tx.operation);
  message.safeTxGas = tx.safeTxGas.toString();
  message.baseGas = tx.baseGas.toString();
  message.gasPrice = tx.gasPrice.toString();
  message.gasToken = toChecksumAddress(tx.gasToken);
  message.refundReceiver = toChecksumAddress(tx.refundReceiver);
  message.nonce = lowUint64(tx.nonce).toString();
  return {
    types: new Map([
      ["EIP712Domain", domainType],
      ["SafeTx", [
        { name: "to", type: "address" },
        { name: "value", type: "uint256" },
        { name: "data", type: "bytes" },
        { name: "operation", type: "uint8" },
        { name: "safeTxGas", type: "uint256" },
        { name: "baseGas", type: "uint256" },
        { name: "gasPrice", type: "uint256" },
        { name: "gasToken", type: "address" },
        { name: "refundReceiver", type: "address" },
        { name: "nonce", type: "uint256" },
      ]],
    ]),
    primaryType: "SafeTx",
    domain: {
      name: "",
      version: "",
      chainId: tx.chainId,
      verifyingContract: toChecksumAddress(addressBytes(tx.safe)),
      salt: "",
    },
    message,
  };
}

/** The outcome of clef's `safeTxHash` check (signing.md §8.3 steps 2–3). */
export interface GnosisSafeDigest {
  /** The transaction, with `chainId` filled in when that made the hash match. */
  tx: GnosisSafeTx;
  /** The typed data to sign. */
  typedData: TypedData;
  /** Its EIP-712 digest (what is signed). */
  digest: Uint8Array;
}

/**
 * Computes the digest to sign and checks it against `safeTxHash` the way
 * clef does: on a mismatch without `chainId`, retry with the configured
 * chain id and fail if it still differs; on a mismatch **with** `chainId`,
 * clef signs the computed digest anyway (quirk reproduced).
 *
 * @param tx The decoded Safe transaction.
 * @param chainId The configured chain id (`--chainid`).
 * @returns The (possibly completed) transaction, typed data and digest.
 * @throws {StaveError} hashing errors, or
 * `mismatched safeTxHash; have 0x<computed> want 0x<given>`.
 *
 * @example Usage
 * ```ts
 * import { decodeGnosisSafeTx, gnosisSafeDigest } from "./gnosis.ts";
 * import { throws } from "node:assert/strict";
 * throws(() => gnosisSafeDigest(decodeGnosisSafeTx(null), 1n), /mismatched safeTxHash/);
 * ```
 */
export function gnosisSafeDigest(
  tx: GnosisSafeTx,
  chainId: bigint,
): GnosisSafeDigest {
  let typedData = gnosisSafeTxToTypedData(tx);
  let digest: Uint8Array;
  try {
    digest = hashTypedData(typedData).digest;
  } catch (e) {
    if (e instanceof StaveError) throw e;
    throw new StaveError((e as Error).message, { cause: e });
  }
  if (!constantTimeEqual(digest, tx.safeTxHash) && tx.chainId === null) {
    tx = { ...tx, chainId };
    typedData = gnosisSafeTxToTypedData(tx);
    try {
      digest = hashTypedData(typedData).digest;
    } catch {
      digest = new Uint8Array(0); // clef ignores this error: nil hash
    }
    if (!constantTimeEqual(digest, tx.safeTxHash)) {
      // Go's %#x prints nothing at all for an empty byte slice.
      const have = digest.length > 0 ? "0x" + toHex(digest) : "";
      throw new StaveError(
        `mismatched safeTxHash; have ${have} want 0x${toHex(tx.safeTxHash)}`,
      );
    }
  }
  return { tx, typedData, digest };
}

/** The pseudo-transaction clef validates for a Safe tx (`ArgsForValidation`). */
export interface GnosisValidationArgs {
  /** The Safe address. */
  from: MixedcaseAddress | null;
  /** The call target. */
  to: MixedcaseAddress | null;
  /** `safeTxGas` (low 64 bits). */
  gas: bigint;
  /** `gasPrice`. */
  gasPrice: bigint;
  /** `value`. */
  value: bigint;
  /** `nonce` (low 64 bits). */
  nonce: bigint;
  /** Call data (null when absent). */
  data: Uint8Array | null;
  /** Chain id (null when absent). */
  chainId: bigint | null;
}

/**
 * The transaction arguments clef runs its transaction validation on for a
 * Safe transaction (signing.md §8.3 step 1).
 *
 * @param tx The decoded Safe transaction.
 * @returns from = safe, to, gas = safeTxGas, gasPrice, value, nonce, data, chainId.
 *
 * @example Usage
 * ```ts
 * import { decodeGnosisSafeTx, gnosisValidationArgs } from "./gnosis.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(gnosisValidationArgs(decodeGnosisSafeTx(null)).gas, 0n);
 * ```
 */
export function gnosisValidationArgs(tx: GnosisSafeTx): GnosisValidationArgs {
  return {
    from: tx.safe,
    to: tx.to,
    gas: lowUint64(tx.safeTxGas),
    gasPrice: tx.gasPrice,
    value: tx.value,
    nonce: lowUint64(tx.nonce),
    data: tx.data,
    chainId: tx.chainId,
  };
}

function mixedJson(a: MixedcaseAddress | null): string {
  return a === null ? "0x" : a.toJSON();
}

function quantity(n: bigint): string {
  return n < 0n ? "-0x" + (-n).toString(16) : "0x" + n.toString(16);
}

/**
 * The result object of `account_signGnosisSafeTx` in clef's key order
 * (signing.md §8.3 step 5). Integers are `JsonNumber`s so a Go-style JSON
 * writer prints them as numbers of any size.
 *
 * @param tx The (possibly chain-id-completed) transaction.
 * @param signature The 65-byte signature (`v` 27/28).
 * @param digest The signed digest.
 * @param sender The signer address (written checksummed).
 * @returns The JSON object.
 *
 * @example Usage
 * ```ts
 * import { decodeGnosisSafeTx, gnosisSafeTxResult } from "./gnosis.ts";
 * import { strictEqual } from "node:assert/strict";
 * const r = gnosisSafeTxResult(decodeGnosisSafeTx(null), new Uint8Array(65), new Uint8Array(32), new Uint8Array(20));
 * strictEqual(Object.keys(r)[0], "signature");
 * ```
 */
export function gnosisSafeTxResult(
  tx: GnosisSafeTx,
  signature: Uint8Array,
  digest: Uint8Array,
  sender: Uint8Array,
): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {
    signature: "0x" + toHex(signature),
    contractTransactionHash: "0x" + toHex(digest),
    sender: toChecksumAddress(sender),
    safe: mixedJson(tx.safe),
    to: mixedJson(tx.to),
    value: tx.value.toString(),
    gasPrice: tx.gasPrice.toString(),
    data: tx.data === null ? null : "0x" + toHex(tx.data),
    operation: new JsonNumber(String(tx.operation)),
    gasToken: "0x" + toHex(tx.gasToken),
    refundReceiver: "0x" + toHex(tx.refundReceiver),
    baseGas: new JsonNumber(tx.baseGas.toString()),
    safeTxGas: new JsonNumber(tx.safeTxGas.toString()),
    nonce: new JsonNumber(tx.nonce.toString()),
    safeTxHash: "0x" + toHex(tx.safeTxHash),
  };
  if (tx.chainId !== null) out.chainId = quantity(tx.chainId);
  return out;
}
