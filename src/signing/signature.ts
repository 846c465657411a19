/**
 * The one secp256k1 signing path of stave: 65-byte `r ‖ s ‖ v` signatures
 * as go-ethereum's `crypto.Sign` produces them (spec signing.md §0):
 * deterministic nonce (RFC 6979 with HMAC-SHA256, no extra entropy),
 * low-S, `v` = recovery id 0/1.
 *
 * ECDSA runs here over `@noble/curves`' point and scalar arithmetic rather
 * than through noble's `sign()`, whose byte/number conversions go through
 * hex strings: each signature left unwipeable string copies of the private
 * key in the heap (issue 7). Here the key never becomes a string, the
 * buffers that held it are wiped, and the nonce inversion is blinded as
 * noble does; the signatures are noble's, bit for bit (cross-checked in
 * the tests against noble and ethers).
 *
 * @module
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";

/** Length of an Ethereum signature `r ‖ s ‖ v`. */
export const SIGNATURE_LENGTH = 65;

const Fn = secp256k1.Point.Fn;
const N = Fn.ORDER;

// Big-endian 32 bytes → bigint through 64-bit words (no string on the way).
function bytesToScalar(b: Uint8Array): bigint {
  const v = new DataView(b.buffer, b.byteOffset, 32);
  return (v.getBigUint64(0) << 192n) | (v.getBigUint64(8) << 128n) |
    (v.getBigUint64(16) << 64n) | v.getBigUint64(24);
}

function scalarToBytes(n: bigint, out: Uint8Array, offset: number): void {
  const v = new DataView(out.buffer, out.byteOffset + offset, 32);
  const m = 0xffffffffffffffffn;
  v.setBigUint64(0, (n >> 192n) & m);
  v.setBigUint64(8, (n >> 128n) & m);
  v.setBigUint64(16, (n >> 64n) & m);
  v.setBigUint64(24, n & m);
}

// HMAC-SHA256 of the parts, written into `out` (noble wipes its buffers).
function hmacInto(key: Uint8Array, out: Uint8Array, ...parts: Uint8Array[]) {
  const h = hmac.create(sha256, key);
  for (const p of parts) h.update(p);
  h.digestInto(out);
}

// A blinding factor in [1, n-1] (noble's mapHashToField: 48 bytes mod n-1, +1).
function blinding(): bigint {
  const r = crypto.getRandomValues(new Uint8Array(48));
  let x = 0n;
  for (const b of r) x = (x << 8n) | BigInt(b);
  r.fill(0);
  return x % (N - 1n) + 1n;
}

/**
 * Signs a 32-byte digest (go-ethereum `crypto.Sign`).
 *
 * @param hash The 32-byte digest to sign (never hashed again here).
 * @param privateKey The 32-byte secret key (left untouched; the caller wipes it).
 * @returns 65 bytes `r(32) ‖ s(32) ‖ v(1)` with `v` ∈ {0, 1}.
 * @throws {RangeError} when the digest is not 32 bytes or the key is invalid.
 *
 * @example Usage
 * ```ts
 * import { signHash } from "./signature.ts";
 * import { strictEqual, ok } from "node:assert/strict";
 * const sig = signHash(new Uint8Array(32).fill(1), new Uint8Array(32).fill(2));
 * strictEqual(sig.length, 65);
 * ok(sig[64] === 0 || sig[64] === 1);
 * ```
 */
export function signHash(hash: Uint8Array, privateKey: Uint8Array): Uint8Array {
  if (hash.length !== 32) {
    throw new RangeError(
      `hash is required to be exactly 32 bytes (${hash.length})`,
    );
  }
  if (privateKey.length !== 32) {
    throw new RangeError("invalid private key length");
  }
  const d = bytesToScalar(privateKey);
  if (d === 0n || d >= N) throw new RangeError("invalid private key");
  // RFC 6979 §3.2: h1 = bits2int(H(m)) mod n; seed = int2octets(d) ‖
  // int2octets(h1). For a valid key int2octets(d) is the key itself.
  const m = bytesToScalar(hash) % N;
  const h1 = new Uint8Array(32);
  scalarToBytes(m, h1, 0);
  const k = new Uint8Array(32);
  const v = new Uint8Array(32).fill(1);
  const zero = Uint8Array.of(0);
  try {
    hmacInto(k, k, v, zero, privateKey, h1);
    hmacInto(k, v, v);
    hmacInto(k, k, v, Uint8Array.of(1), privateKey, h1);
    hmacInto(k, v, v);
    for (let i = 0; i < 1000; i++) {
      hmacInto(k, v, v);
      const nonce = bytesToScalar(v);
      if (nonce !== 0n && nonce < N) {
        const q = secp256k1.Point.BASE.multiply(nonce).toAffine();
        const r = Fn.create(q.x);
        if (r !== 0n) {
          // s = k⁻¹(m + r·d), the inversion blinded by a random b.
          const b = blinding();
          const ibk = Fn.inv(Fn.mul(b, nonce));
          let s = Fn.create(ibk * Fn.create(Fn.mul(b, m) + Fn.mul(b, d) * r));
          if (s !== 0n) {
            let recovery = (q.x === r ? 0 : 2) | Number(q.y & 1n);
            if (s > N >> 1n) {
              s = N - s;
              recovery ^= 1;
            }
            // The yellow paper bans recovery ids 2 and 3 (x ≥ n).
            if (recovery > 1) {
              throw new RangeError("invalid signature rec=2 or 3");
            }
            const out = new Uint8Array(SIGNATURE_LENGTH);
            scalarToBytes(r, out, 0);
            scalarToBytes(s, out, 32);
            out[64] = recovery;
            return out;
          }
        }
      }
      hmacInto(k, k, v, zero);
      hmacInto(k, v, v);
    }
    throw new RangeError("drbg: tried max amount of iterations");
  } finally {
    k.fill(0);
    v.fill(0);
  }
}

/**
 * Returns a copy of a 65-byte signature with `v` moved from 0/1 to 27/28
 * (clef's "legacy V" for every data signature except Clique).
 *
 * @param sig A 65-byte signature with `v` ∈ {0, 1}.
 * @returns The same signature with 27 added to `v`.
 * @throws {RangeError} when the signature is not 65 bytes.
 *
 * @example Usage
 * ```ts
 * import { toEthereumV } from "./signature.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(toEthereumV(new Uint8Array(65))[64], 27);
 * ```
 */
export function toEthereumV(sig: Uint8Array): Uint8Array {
  if (sig.length !== SIGNATURE_LENGTH) {
    throw new RangeError("signature must be 65 bytes long");
  }
  const out = sig.slice();
  out[64] += 27;
  return out;
}

/**
 * Recovers the uncompressed public key (65 bytes, `0x04 ‖ X ‖ Y`) from a
 * digest and a 65-byte signature with `v` ∈ {0, 1} (go-ethereum
 * `crypto.Ecrecover`).
 *
 * @param hash The 32-byte digest that was signed.
 * @param sig 65 bytes `r ‖ s ‖ v`.
 * @returns The uncompressed public key.
 * @throws {RangeError} `invalid signature recovery id` or `recovery failed`.
 *
 * @example Usage
 * ```ts
 * import { recoverPublicKey, signHash } from "./signature.ts";
 * import { strictEqual } from "node:assert/strict";
 * const h = new Uint8Array(32).fill(7);
 * strictEqual(recoverPublicKey(h, signHash(h, new Uint8Array(32).fill(2))).length, 65);
 * ```
 */
export function recoverPublicKey(
  hash: Uint8Array,
  sig: Uint8Array,
): Uint8Array {
  if (sig.length !== SIGNATURE_LENGTH) {
    throw new RangeError("invalid signature length");
  }
  if (hash.length !== 32) {
    throw new RangeError("invalid message length, need 32 bytes");
  }
  if (sig[64] >= 4) throw new RangeError("invalid signature recovery id");
  try {
    const s = secp256k1.Signature.fromBytes(sig.subarray(0, 64), "compact")
      .addRecoveryBit(sig[64]);
    return s.recoverPublicKey(hash).toBytes(false);
  } catch {
    throw new RangeError("recovery failed");
  }
}
