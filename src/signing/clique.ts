/**
 * Clique (proof-of-authority) header sealing as clef does it for
 * `application/x-clique-header` (spec signing.md §2): strict RLP decoding of
 * a block header, the seal hash over the header without its seal, and the
 * display message. Pre-London and London headers are sealed; headers with
 * Shanghai-or-later fields are refused (Clique cannot seal them; clef
 * crashes the handler, so the caller gets -32603 `method handler crashed`).
 *
 * @module
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { concat, toHex } from "../_bytes.ts";
import { StaveError } from "../errors.ts";

/** Length of the seal appended to a Clique header's extra-data. */
export const CLIQUE_SEAL_LENGTH = 65;

/** A decoded block header (go-ethereum `types.Header`). */
export interface BlockHeader {
  /** Parent block hash (32 bytes). */
  parentHash: Uint8Array;
  /** Ommers hash (32 bytes). */
  uncleHash: Uint8Array;
  /** Beneficiary (20 bytes). */
  coinbase: Uint8Array;
  /** State root (32 bytes). */
  root: Uint8Array;
  /** Transactions root (32 bytes). */
  txHash: Uint8Array;
  /** Receipts root (32 bytes). */
  receiptHash: Uint8Array;
  /** Logs bloom (256 bytes). */
  bloom: Uint8Array;
  /** Difficulty (1 or 2 under Clique). */
  difficulty: bigint;
  /** Block number. */
  number: bigint;
  /** Gas limit (64 bits). */
  gasLimit: bigint;
  /** Gas used (64 bits). */
  gasUsed: bigint;
  /** Timestamp (64 bits). */
  time: bigint;
  /** Extra-data (vanity, signers, seal). */
  extra: Uint8Array;
  /** Mix digest (32 bytes). */
  mixDigest: Uint8Array;
  /** Nonce (8 bytes; Clique votes). */
  nonce: Uint8Array;
  /** London (EIP-1559). */
  baseFee?: bigint;
  /** Shanghai (EIP-4895). */
  withdrawalsHash?: Uint8Array;
  /** Cancun (EIP-4844). */
  blobGasUsed?: bigint;
  /** Cancun (EIP-4844). */
  excessBlobGas?: bigint;
  /** Cancun (EIP-4788). */
  parentBeaconRoot?: Uint8Array;
  /** Prague (EIP-7685). */
  requestsHash?: Uint8Array;
  /** EIP-7928. */
  blockAccessListHash?: Uint8Array;
  /** EIP-7843. */
  slotNumber?: bigint;
}

type FieldKind =
  | { k: "fixed"; size: number; goType: string }
  | { k: "big" }
  | { k: "u64" }
  | { k: "bytes" };

const HASH = { k: "fixed", size: 32, goType: "common.Hash" } as const;
const U64 = { k: "u64" } as const;
const BIG = { k: "big" } as const;

/** Header fields in RLP order: [key, Go field name, kind]. */
const FIELDS: readonly [keyof BlockHeader, string, FieldKind][] = [
  ["parentHash", "ParentHash", HASH],
  ["uncleHash", "UncleHash", HASH],
  ["coinbase", "Coinbase", { k: "fixed", size: 20, goType: "common.Address" }],
  ["root", "Root", HASH],
  ["txHash", "TxHash", HASH],
  ["receiptHash", "ReceiptHash", HASH],
  ["bloom", "Bloom", { k: "fixed", size: 256, goType: "types.Bloom" }],
  ["difficulty", "Difficulty", BIG],
  ["number", "Number", BIG],
  ["gasLimit", "GasLimit", U64],
  ["gasUsed", "GasUsed", U64],
  ["time", "Time", U64],
  ["extra", "Extra", { k: "bytes" }],
  ["mixDigest", "MixDigest", HASH],
  ["nonce", "Nonce", { k: "fixed", size: 8, goType: "types.BlockNonce" }],
  ["baseFee", "BaseFee", BIG],
  ["withdrawalsHash", "WithdrawalsHash", HASH],
  ["blobGasUsed", "BlobGasUsed", U64],
  ["excessBlobGas", "ExcessBlobGas", U64],
  ["parentBeaconRoot", "ParentBeaconRoot", HASH],
  ["requestsHash", "RequestsHash", HASH],
  ["blockAccessListHash", "BlockAccessListHash", HASH],
  ["slotNumber", "SlotNumber", U64],
];
const MANDATORY_FIELDS = 15;

// ---------------------------------------------------------------------------
// Strict RLP (go-ethereum rlp.DecodeBytes rules)

interface RlpItem {
  kind: "byte" | "string" | "list";
  /** Payload (for "byte", the single byte). */
  payload: Uint8Array;
  /** Offset just after the item. */
  end: number;
}

function rlpError(msg: string): SyntaxError {
  return new SyntaxError(
    msg.startsWith("rlp: ") || msg === "EOF" ? msg : "rlp: " + msg,
  );
}

/** Reads one item at `pos`; `limit` is the end of the enclosing value. */
function readItem(
  buf: Uint8Array,
  pos: number,
  limit: number,
  top: boolean,
): RlpItem {
  const tooLarge = top
    ? "rlp: value size exceeds available input length"
    : "rlp: element is larger than containing list";
  if (pos >= limit) throw rlpError(top ? "EOF" : "unexpected EOL");
  const b = buf[pos];
  if (b < 0x80) {
    return { kind: "byte", payload: buf.subarray(pos, pos + 1), end: pos + 1 };
  }
  let size: number;
  let head = 1;
  let kind: "string" | "list";
  if (b < 0xb8 || (b >= 0xc0 && b < 0xf8)) {
    kind = b < 0xc0 ? "string" : "list";
    size = b - (b < 0xc0 ? 0x80 : 0xc0);
  } else {
    kind = b < 0xc0 ? "string" : "list";
    const n = b - (b < 0xc0 ? 0xb7 : 0xf7);
    if (pos + 1 + n > limit) throw rlpError(tooLarge);
    if (buf[pos + 1] === 0) {
      throw rlpError("rlp: non-canonical size information");
    }
    size = 0;
    for (let i = 0; i < n; i++) size = size * 256 + buf[pos + 1 + i];
    if (size < 56) throw rlpError("rlp: non-canonical size information");
    head += n;
  }
  if (pos + head + size > limit) throw rlpError(tooLarge);
  return {
    kind,
    payload: buf.subarray(pos + head, pos + head + size),
    end: pos + head + size,
  };
}

function decodeError(msg: string, goType: string, field: string): SyntaxError {
  return rlpError(
    `rlp: ${msg} for ${goType}, decoding into (types.Header).${field}`,
  );
}

function stringBytes(it: RlpItem, goType: string, field: string): Uint8Array {
  if (it.kind === "list") {
    throw decodeError("expected input string or byte", goType, field);
  }
  if (it.kind === "string" && it.payload.length === 1 && it.payload[0] < 0x80) {
    throw decodeError("non-canonical size information", goType, field);
  }
  return it.payload;
}

function decodeField(
  it: RlpItem,
  kind: FieldKind,
  field: string,
): Uint8Array | bigint {
  switch (kind.k) {
    case "fixed": {
      if (it.kind === "list") {
        throw decodeError("expected input string or byte", kind.goType, field);
      }
      const len = it.payload.length;
      if (len > kind.size) {
        throw decodeError("input string too long", kind.goType, field);
      }
      if (len < kind.size) {
        throw decodeError("input string too short", kind.goType, field);
      }
      if (it.kind === "string" && len === 1 && it.payload[0] < 0x80) {
        throw decodeError("non-canonical size information", kind.goType, field);
      }
      return it.payload.slice();
    }
    case "bytes":
      return stringBytes(it, "[]uint8", field).slice();
    case "big":
    case "u64": {
      const goType = kind.k === "big" ? "*big.Int" : "uint64";
      const b = stringBytes(it, goType, field);
      if (kind.k === "u64" && b.length > 8) {
        throw decodeError("input string too long", goType, field);
      }
      if (b.length > 0 && b[0] === 0) {
        throw decodeError(
          "non-canonical integer (leading zero bytes)",
          goType,
          field,
        );
      }
      return b.length === 0 ? 0n : BigInt("0x" + toHex(b));
    }
  }
}

/**
 * Decodes an RLP block header with go-ethereum's strict rules (canonical
 * integers and sizes, exact fixed lengths, no trailing bytes, optional
 * trailing fields up to `slotNumber`).
 *
 * @param rlp The header bytes.
 * @returns The header.
 * @throws {SyntaxError} `rlp: ...` errors (wording follows go-ethereum).
 *
 * @example Usage
 * ```ts
 * import { decodeHeader } from "./clique.ts";
 * import { throws } from "node:assert/strict";
 * throws(() => decodeHeader(new Uint8Array([0x80])), /rlp: expected input list for types.Header/);
 * ```
 */
export function decodeHeader(rlp: Uint8Array): BlockHeader {
  const top = readItem(rlp, 0, rlp.length, true);
  if (top.kind !== "list") {
    throw rlpError("rlp: expected input list for types.Header");
  }
  const header: Partial<Record<keyof BlockHeader, Uint8Array | bigint>> = {};
  const list = top.payload;
  let pos = 0;
  for (let i = 0; i < FIELDS.length; i++) {
    if (pos >= list.length) {
      if (i < MANDATORY_FIELDS) {
        throw rlpError("rlp: too few elements for types.Header");
      }
      break;
    }
    const it = readItem(list, pos, list.length, false);
    const [key, goName, kind] = FIELDS[i];
    header[key] = decodeField(it, kind, goName);
    pos = it.end;
  }
  if (pos < list.length) {
    throw rlpError("rlp: input list has too many elements for types.Header");
  }
  if (top.end !== rlp.length) {
    throw rlpError("rlp: input contains more than one value");
  }
  return header as unknown as BlockHeader;
}

function encodeLength(len: number, offset: number): Uint8Array {
  if (len < 56) return new Uint8Array([offset + len]);
  const bytes: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return new Uint8Array([offset + 55 + bytes.length, ...bytes]);
}

function encodeString(b: Uint8Array): Uint8Array {
  if (b.length === 1 && b[0] < 0x80) return b.slice();
  return concat(encodeLength(b.length, 0x80), b);
}

function quantityBytes(n: bigint): Uint8Array {
  if (n === 0n) return new Uint8Array(0);
  let h = n.toString(16);
  if (h.length % 2) h = "0" + h;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

function encodeList(items: Uint8Array[]): Uint8Array {
  const body = concat(...items);
  return concat(encodeLength(body.length, 0xc0), body);
}

function encodeFields(
  h: BlockHeader,
  count: number,
  extra: Uint8Array,
): Uint8Array {
  const items: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const [key] = FIELDS[i];
    const v = key === "extra" ? extra : h[key];
    items.push(encodeString(typeof v === "bigint" ? quantityBytes(v) : v!));
  }
  return encodeList(items);
}

function presentFields(h: BlockHeader): number {
  let n = MANDATORY_FIELDS;
  while (n < FIELDS.length && h[FIELDS[n][0]] !== undefined) n++;
  return n;
}

/**
 * Encodes a header as go-ethereum does (`rlp(header)`, used for its hash).
 *
 * @param h The header (optional fields must be a prefix of the list).
 * @returns The RLP bytes.
 *
 * @example Usage
 * ```ts
 * import { decodeHeader, encodeHeader } from "./clique.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 * const h = { parentHash: new Uint8Array(32), uncleHash: new Uint8Array(32), coinbase: new Uint8Array(20), root: new Uint8Array(32), txHash: new Uint8Array(32), receiptHash: new Uint8Array(32), bloom: new Uint8Array(256), difficulty: 1n, number: 2n, gasLimit: 3n, gasUsed: 0n, time: 5n, extra: new Uint8Array(32), mixDigest: new Uint8Array(32), nonce: new Uint8Array(8) };
 * deepStrictEqual(decodeHeader(encodeHeader(h)), h);
 * ```
 */
export function encodeHeader(h: BlockHeader): Uint8Array {
  return encodeFields(h, presentFields(h), h.extra);
}

/** A Clique sealing request built from an unsealed header. */
export interface CliqueSealRequest {
  /** The header as clef sees it: extra-data with 65 zero bytes appended. */
  header: BlockHeader;
  /** `CliqueRLP`: the header without the seal bytes (what is signed, hashed). */
  rawData: Uint8Array;
  /** `SealHash` = keccak256(rawData). */
  sealHash: Uint8Array;
  /** keccak256(rlp(header)) of the zero-sealed header (for the display). */
  blockHash: Uint8Array;
}

/** A header with fields Clique cannot seal (Shanghai and later). */
export class CliqueUnsupportedHeaderError extends StaveError {
  constructor() {
    super(
      "clique does not support Shanghai or later headers: refusing to seal " +
        "a header with withdrawalsHash (and later fields)",
    );
  }
}

/** Largest block number stave seals (geth numbers blocks with `uint64`). */
export const MAX_CLIQUE_NUMBER = 2n ** 64n - 1n;

/**
 * A header whose number does not fit in 64 bits. clef decodes `Number` as
 * `*big.Int` and seals it; no chain reaches such a height, and a Clique
 * guard that recorded it would refuse every real height after it.
 */
export class CliqueNumberTooLargeError extends StaveError {
  /**
   * Creates the error.
   *
   * @param number The header's block number.
   */
  constructor(number: bigint) {
    super(
      `clique: refusing to seal block ${number}: a block number must fit in 64 bits`,
    );
  }
}

/**
 * clef's Clique path: decode the unsealed header geth sends, append room
 * for the seal, and compute `CliqueRLP`/`SealHash` (signing.md §2.1).
 *
 * @param rlp The header without its seal (`clique.CliqueRLP` as geth sends it).
 * @returns The seal request.
 * @throws {SyntaxError} RLP errors.
 * @throws {CliqueUnsupportedHeaderError} for a header with Shanghai-or-later
 * fields, which Clique cannot seal (clef panicked and answered -32603
 * `method handler crashed`; stave answers with a clear -32000 error, as
 * the daemon issue asks).
 * @throws {CliqueNumberTooLargeError} for a block number over
 * {@linkcode MAX_CLIQUE_NUMBER} (clef seals it; stave refuses it before
 * any approval, so the Clique guard never records it).
 *
 * @example Usage
 * ```ts
 * import { buildCliqueSealRequest, encodeHeader } from "./clique.ts";
 * import { strictEqual } from "node:assert/strict";
 * const h = { parentHash: new Uint8Array(32), uncleHash: new Uint8Array(32), coinbase: new Uint8Array(20), root: new Uint8Array(32), txHash: new Uint8Array(32), receiptHash: new Uint8Array(32), bloom: new Uint8Array(256), difficulty: 0n, number: 0n, gasLimit: 0n, gasUsed: 0n, time: 0n, extra: new Uint8Array(32), mixDigest: new Uint8Array(32), nonce: new Uint8Array(8), baseFee: 0n };
 * const r = buildCliqueSealRequest(encodeHeader(h));
 * strictEqual(r.header.extra.length, 97);
 * ```
 */
export function buildCliqueSealRequest(rlp: Uint8Array): CliqueSealRequest {
  const decoded = decodeHeader(rlp);
  if (decoded.number > MAX_CLIQUE_NUMBER) {
    throw new CliqueNumberTooLargeError(decoded.number);
  }
  const extra = new Uint8Array(decoded.extra.length + CLIQUE_SEAL_LENGTH);
  extra.set(decoded.extra);
  const header = { ...decoded, extra };
  const count = presentFields(header);
  if (count > MANDATORY_FIELDS + 1) {
    // clef's encodeSigHeader panics on these; Clique stops at London.
    throw new CliqueUnsupportedHeaderError();
  }
  const rawData = encodeFields(header, count, decoded.extra);
  return {
    header,
    rawData,
    sealHash: keccak_256(rawData),
    blockHash: keccak_256(encodeHeader(header)),
  };
}

/**
 * The display line clef shows: `clique header <number> [0x<blockhash>]`.
 *
 * @param req The seal request.
 * @returns The message value.
 *
 * @example Usage
 * ```ts
 * import { cliqueMessage } from "./clique.ts";
 * import { ok } from "node:assert/strict";
 * ok(cliqueMessage({ header: { number: 7n }, blockHash: new Uint8Array(32) } as never).startsWith("clique header 7 [0x00"));
 * ```
 */
export function cliqueMessage(req: CliqueSealRequest): string {
  return `clique header ${req.header.number} [0x${toHex(req.blockHash)}]`;
}
