/**
 * Minimal Ethereum RLP encoder for transactions (byte strings and lists).
 *
 * @module
 */

/** An RLP item: a byte string or a list of items. */
export type RlpItem = Uint8Array | RlpItem[];

function lengthPrefix(len: number, offset: number): Uint8Array {
  if (len < 56) return new Uint8Array([offset + len]);
  const lenBytes = quantityBytes(BigInt(len));
  const out = new Uint8Array(1 + lenBytes.length);
  out[0] = offset + 55 + lenBytes.length;
  out.set(lenBytes, 1);
  return out;
}

/**
 * Canonical big-endian bytes of a non-negative integer, zero as the empty
 * string (an RLP "quantity").
 *
 * @param n The integer.
 * @returns Its minimal big-endian bytes.
 * @throws {RangeError} for a negative value.
 */
export function quantityBytes(n: bigint): Uint8Array {
  if (n < 0n) throw new RangeError("negative quantity");
  if (n === 0n) return new Uint8Array(0);
  let hex = n.toString(16);
  if (hex.length % 2) hex = "0" + hex;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

/**
 * RLP-encodes an item.
 *
 * @param item A byte string or nested list.
 * @returns The encoding.
 */
export function encodeRlp(item: RlpItem): Uint8Array {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && item[0] < 0x80) return item.slice();
    const p = lengthPrefix(item.length, 0x80);
    const out = new Uint8Array(p.length + item.length);
    out.set(p);
    out.set(item, p.length);
    return out;
  }
  const parts = item.map(encodeRlp);
  let total = 0;
  for (const x of parts) total += x.length;
  const p = lengthPrefix(total, 0xc0);
  const out = new Uint8Array(p.length + total);
  out.set(p);
  let o = p.length;
  for (const x of parts) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}
