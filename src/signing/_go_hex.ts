/**
 * Lenient Go hex and integer parsing used by clef's data signing paths:
 * `hex.DecodeString` (keeps the bytes before the first error),
 * `common.HexToAddress`/`BytesToAddress` and `math.ParseBig256`.
 *
 * @module
 */

function nib(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Go `hex.DecodeString`: the decoded bytes up to the first problem, and the
 * problem (`invalid` for a non-hex character, `odd` for odd length).
 */
export function goHexDecode(
  s: string,
): { bytes: Uint8Array; error: "invalid" | "odd" | null } {
  const src = new TextEncoder().encode(s);
  const out = new Uint8Array(src.length >> 1);
  let i = 0;
  let j = 1;
  for (; j < src.length; j += 2) {
    const a = nib(src[j - 1]);
    const b = nib(src[j]);
    if (a < 0 || b < 0) return { bytes: out.slice(0, i), error: "invalid" };
    out[i++] = (a << 4) | b;
  }
  if (src.length % 2 === 1) {
    return {
      bytes: out.slice(0, i),
      error: nib(src[j - 1]) < 0 ? "invalid" : "odd",
    };
  }
  return { bytes: out, error: null };
}

/** go-ethereum `common.BytesToAddress`: keep the last 20 bytes, left-pad. */
export function bytesToAddress(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(20);
  if (b.length > 20) out.set(b.subarray(b.length - 20));
  else out.set(b, 20 - b.length);
  return out;
}

/** go-ethereum `common.HexToAddress` (lenient, never fails). */
export function hexToAddress(s: string): Uint8Array {
  let h = s.startsWith("0x") || s.startsWith("0X") ? s.slice(2) : s;
  if (h.length % 2 === 1) h = "0" + h;
  return bytesToAddress(goHexDecode(h).bytes);
}

const DEC = /^[+-]?[0-9]+$/;
const HEX = /^[+-]?[0-9a-fA-F]+$/;

/**
 * go-ethereum `math.ParseBig256`: decimal (optional sign) or `0x`/`0X` hex
 * (Go `big.Int.SetString` syntax), `""` is zero, at most 256 bits.
 * @returns the value, or null when the text is not accepted.
 */
export function parseBig256(s: string): bigint | null {
  if (s === "") return 0n;
  let v: bigint;
  if (s.length >= 2 && (s.startsWith("0x") || s.startsWith("0X"))) {
    const h = s.slice(2);
    if (!HEX.test(h)) return null;
    const neg = h[0] === "-";
    const digits = (h[0] === "-" || h[0] === "+" ? h.slice(1) : h)
      .replace(/^0+/, "");
    if (digits.length > 64) return null; // cheap bound before parsing
    v = BigInt("0x" + (digits || "0"));
    if (neg) v = -v;
  } else {
    if (!DEC.test(s)) return null;
    const neg = s[0] === "-";
    const digits = (s[0] === "-" || s[0] === "+" ? s.slice(1) : s)
      .replace(/^0+/, "");
    if (digits.length > 78) return null; // > 2^256 for sure
    v = BigInt(digits || "0");
    if (neg) v = -v;
  }
  return bitLength(v) > 256 ? null : v;
}

/** Go `big.Int.BitLen` (of the absolute value). */
export function bitLength(v: bigint): number {
  const a = v < 0n ? -v : v;
  return a === 0n ? 0 : a.toString(2).length;
}
