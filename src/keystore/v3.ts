/**
 * Web3 Secret Storage: the `crypto` section (v3, also used for clef's
 * `masterseed.json`), whole key files (v3 written, v3 and legacy v1 read),
 * following go-ethereum `accounts/keystore/{key.go,passphrase.go}`
 * (spec keystore.md §2).
 *
 * AES runs on WebCrypto, scrypt on hash-wasm (see `kdf.ts`), keccak256 and
 * secp256k1 on `@noble/hashes` / `@noble/curves` (the curve library that
 * micro-eth-signer uses, so stave has one secp256k1 path).
 *
 * Secrets held in our own buffers (password bytes, derived key, plaintext
 * copies) are wiped in `finally`; WebCrypto's `CryptoKey` objects and
 * hash-wasm's memory cannot be wiped and are left to the garbage collector.
 *
 * @module
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { constantTimeEqual, toHex, utf8 } from "../_bytes.ts";
import { DecryptError, StaveError } from "../errors.ts";
import { JsonNumber } from "../json.ts";
import {
  formatUuid,
  goDecodeStruct,
  goHexDecode,
  goParseUuid,
  type GoStruct,
  isJsonObject,
  parseJsonKeepNumbers,
} from "./_go.ts";
import { pbkdf2Sha256, scrypt, SCRYPT_DKLEN, SCRYPT_R } from "./kdf.ts";
import { privateKeyToAddress, validatePrivateKey } from "./raw_key.ts";

/** The `crypto` object of a v3 key file, in the order geth writes it. */
export interface CryptoJson {
  /** Always `aes-128-ctr` when written. */
  cipher: string;
  /** Hex ciphertext. */
  ciphertext: string;
  /** Cipher parameters. */
  cipherparams: { iv: string };
  /** `scrypt` when written; `pbkdf2` is accepted when reading. */
  kdf: string;
  /** KDF parameters (`dklen`, `n`, `p`, `r`, `salt` for scrypt). */
  kdfparams: Record<string, unknown>;
  /** Hex keccak256(derivedKey[16:32] ‖ ciphertext). */
  mac: string;
}

/** A v3 key file, fields in geth's order (spec §2.1). */
export interface KeyFileV3 {
  /** 40 lowercase hex characters, no `0x`. */
  address: string;
  /** Encrypted key. */
  crypto: CryptoJson;
  /** Version 4 UUID, lowercase canonical form. */
  id: string;
  /** Always 3. */
  version: 3;
}

/** Options for {@linkcode encryptDataV3}. */
export interface EncryptOptions {
  /** scrypt N (`STANDARD_SCRYPT_N` or `LIGHT_SCRYPT_N`). */
  scryptN: number;
  /** scrypt p (`STANDARD_SCRYPT_P` or `LIGHT_SCRYPT_P`). */
  scryptP: number;
  /** 32-byte salt; random when omitted. */
  salt?: Uint8Array;
  /** 16-byte AES-CTR initial counter; random when omitted. */
  iv?: Uint8Array;
  /** Source of randomness for salt, iv (and UUID); tests pin it. */
  randomBytes?: (n: number) => Uint8Array;
}

/** Options for {@linkcode encryptKeyV3}. */
export interface EncryptKeyOptions extends EncryptOptions {
  /** Key UUID (kept by `clef_import`); a random v4 UUID when omitted. */
  id?: string;
}

/** A decrypted key file. The caller must wipe `privateKey` after use. */
export interface DecryptedKey {
  /** 32-byte secret. */
  privateKey: Uint8Array;
  /** 20-byte address derived from the secret. */
  address: Uint8Array;
  /** The file's UUID, canonical lowercase. */
  id: string;
}

/** Largest key file {@linkcode decryptKeyV3} accepts (geth has no cap). */
export const MAX_KEY_FILE_SIZE = 1 << 20;

const CIPHER = "aes-128-ctr";

const CRYPTO_STRUCT: GoStruct = {
  type: "keystore.CryptoJSON",
  fields: {
    cipher: "string",
    ciphertext: "string",
    cipherparams: {
      type: "keystore.cipherparamsJSON",
      fields: { iv: "string" },
    },
    kdf: "string",
    kdfparams: "map",
    mac: "string",
  },
};

const KEY_V3_STRUCT: GoStruct = {
  type: "keystore.encryptedKeyJSONV3",
  fields: {
    address: "string",
    crypto: CRYPTO_STRUCT,
    id: "string",
    version: "int",
  },
};

const KEY_V1_STRUCT: GoStruct = {
  type: "keystore.encryptedKeyJSONV1",
  fields: {
    address: "string",
    crypto: CRYPTO_STRUCT,
    id: "string",
    version: "string",
  },
};

function passwordBytes(password: Uint8Array | string): Uint8Array {
  return typeof password === "string" ? utf8(password) : password.slice();
}

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

async function aesCtr(
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
): Promise<Uint8Array> {
  if (iv.length !== 16) {
    throw new RangeError("cipher.NewCTR: IV length must equal block size");
  }
  const raw = new Uint8Array(key);
  const input = new Uint8Array(data);
  try {
    const k = await crypto.subtle.importKey("raw", raw, "AES-CTR", false, [
      "encrypt",
    ]);
    // The whole 16-byte block is the counter, as in Go's cipher.NewCTR.
    const out = await crypto.subtle.encrypt(
      { name: "AES-CTR", counter: new Uint8Array(iv), length: 128 },
      k,
      input,
    );
    return new Uint8Array(out);
  } finally {
    raw.fill(0);
    input.fill(0);
  }
}

async function aesCbcDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
): Promise<Uint8Array> {
  if (iv.length !== 16) {
    throw new RangeError(
      "cipher.NewCBCDecrypter: IV length must equal block size",
    );
  }
  if (data.length % 16 !== 0) {
    throw new RangeError("crypto/cipher: input not full blocks");
  }
  const raw = new Uint8Array(key);
  let k: CryptoKey;
  try {
    k = await crypto.subtle.importKey("raw", raw, "AES-CBC", false, [
      "decrypt",
    ]);
  } finally {
    raw.fill(0);
  }
  try {
    // WebCrypto removes and checks the PKCS#7 padding (geth's pkcs7Unpad).
    const out = await crypto.subtle.decrypt(
      { name: "AES-CBC", iv: new Uint8Array(iv) },
      k,
      new Uint8Array(data),
    );
    return new Uint8Array(out);
  } catch {
    throw new DecryptError(); // geth: bad padding → ErrDecrypt
  }
}

function macOf(derivedKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const h = keccak_256.create();
  h.update(derivedKey.subarray(16, 32));
  h.update(ciphertext);
  return h.digest();
}

/**
 * Encrypts data into a v3 `crypto` object with scrypt (r=8, dkLen=32) and
 * AES-128-CTR (geth `EncryptDataV3`).
 *
 * @param data Plaintext (a 32-byte key, or clef's 256-byte master seed).
 * @param password Password string (UTF-8) or bytes.
 * @param opts scrypt N and p; optional fixed salt and iv for vectors.
 * @returns The `crypto` object, keys in geth's order.
 * @throws {RangeError} on invalid scrypt parameters, salt or iv length.
 *
 * @example Usage
 * ```ts
 * import { decryptDataV3, encryptDataV3 } from "./v3.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 * const c = await encryptDataV3(new Uint8Array([1, 2, 3]), "pw", { scryptN: 16, scryptP: 1 });
 * deepStrictEqual(await decryptDataV3(c, "pw"), new Uint8Array([1, 2, 3]));
 * ```
 */
export async function encryptDataV3(
  data: Uint8Array,
  password: Uint8Array | string,
  opts: EncryptOptions,
): Promise<CryptoJson> {
  const random = opts.randomBytes ?? randomBytes;
  const salt = opts.salt ?? random(32);
  const iv = opts.iv ?? random(16);
  if (iv.length !== 16) throw new RangeError("iv must be 16 bytes");
  const pw = passwordBytes(password);
  let derivedKey: Uint8Array | undefined;
  try {
    derivedKey = await scrypt(pw, salt, {
      N: opts.scryptN,
      r: SCRYPT_R,
      p: opts.scryptP,
      dkLen: SCRYPT_DKLEN,
    });
    const ciphertext = await aesCtr(derivedKey.subarray(0, 16), iv, data);
    const mac = macOf(derivedKey, ciphertext);
    return {
      cipher: CIPHER,
      ciphertext: toHex(ciphertext),
      cipherparams: { iv: toHex(iv) },
      kdf: "scrypt",
      kdfparams: {
        dklen: SCRYPT_DKLEN,
        n: opts.scryptN,
        p: opts.scryptP,
        r: SCRYPT_R,
        salt: toHex(salt),
      },
      mac: toHex(mac),
    };
  } finally {
    pw.fill(0);
    derivedKey?.fill(0);
  }
}

/** Go `ensureInt`: a JSON number truncated to an integer. */
function kdfInt(params: Record<string, unknown>, name: string): number {
  const v = params[name];
  const n = v instanceof JsonNumber ? v.value : v;
  if (typeof n !== "number" || !Number.isFinite(n)) {
    throw new TypeError(`kdfparams.${name} must be a number`);
  }
  return Math.trunc(n);
}

/** geth `getKDFKey`. */
async function kdfKey(c: CryptoJson, pw: Uint8Array): Promise<Uint8Array> {
  const p = c.kdfparams;
  if (typeof p.salt !== "string") {
    throw new TypeError("kdfparams.salt must be a string");
  }
  const salt = goHexDecode(p.salt);
  const dkLen = kdfInt(p, "dklen");
  let dk: Uint8Array;
  if (c.kdf === "scrypt") {
    dk = await scrypt(pw, salt, {
      N: kdfInt(p, "n"),
      r: kdfInt(p, "r"),
      p: kdfInt(p, "p"),
      dkLen,
    });
  } else if (c.kdf === "pbkdf2") {
    const iterations = kdfInt(p, "c");
    if (typeof p.prf !== "string") {
      throw new TypeError("kdfparams.prf must be a string");
    }
    if (p.prf !== "hmac-sha256") {
      throw new StaveError(`unsupported PBKDF2 PRF: ${p.prf}`);
    }
    dk = await pbkdf2Sha256(pw, salt, iterations, dkLen);
  } else {
    throw new StaveError(`unsupported KDF: ${c.kdf}`);
  }
  if (dk.length < 32) {
    dk.fill(0);
    throw new RangeError("derived key shorter than 32 bytes (dklen < 32)");
  }
  return dk;
}

/** Shared by v3 and v1: hex fields, KDF, MAC check. */
async function deriveAndCheck(
  c: CryptoJson,
  pw: Uint8Array,
): Promise<{ derivedKey: Uint8Array; iv: Uint8Array; ciphertext: Uint8Array }> {
  const mac = goHexDecode(c.mac);
  const iv = goHexDecode(c.cipherparams.iv);
  const ciphertext = goHexDecode(c.ciphertext);
  const derivedKey = await kdfKey(c, pw);
  if (!constantTimeEqual(macOf(derivedKey, ciphertext), mac)) {
    derivedKey.fill(0);
    throw new DecryptError();
  }
  return { derivedKey, iv, ciphertext };
}

function toCryptoJson(crypto: unknown): CryptoJson {
  if (crypto instanceof Object && !isJsonObject(crypto)) {
    throw new TypeError("crypto must be a JSON object");
  }
  return goDecodeStruct(crypto, CRYPTO_STRUCT) as unknown as CryptoJson;
}

/**
 * Decrypts a v3 `crypto` object (geth `DecryptDataV3`): AES-128-CTR with a
 * scrypt or PBKDF2-HMAC-SHA256 key, MAC checked in constant time first.
 *
 * @param crypto The parsed `crypto` object (field names matched as Go's
 *   JSON decoder does, case-insensitively).
 * @param password Password string (UTF-8) or bytes.
 * @returns The plaintext; the caller wipes it.
 * @throws {StaveError} `cipher not supported: <c>`, `unsupported KDF: <k>`,
 *   `unsupported PBKDF2 PRF: <p>`.
 * @throws {DecryptError} when the MAC does not match (wrong password).
 * @throws {SyntaxError} on bad hex (Go's `encoding/hex` texts).
 * @throws {RangeError} on invalid KDF parameters or iv length.
 * @throws {TypeError} on missing or mistyped fields.
 *
 * @example Usage
 * ```ts
 * import { decryptDataV3, encryptDataV3 } from "./v3.ts";
 * import { rejects } from "node:assert/strict";
 * const c = await encryptDataV3(new Uint8Array(32), "pw", { scryptN: 16, scryptP: 1 });
 * await rejects(decryptDataV3(c, "wrong"), { message: "could not decrypt key with given password" });
 * ```
 */
export async function decryptDataV3(
  crypto: unknown,
  password: Uint8Array | string,
): Promise<Uint8Array> {
  const c = toCryptoJson(crypto);
  if (c.cipher !== CIPHER) {
    throw new StaveError(`cipher not supported: ${c.cipher}`);
  }
  const pw = passwordBytes(password);
  let derivedKey: Uint8Array | undefined;
  try {
    const r = await deriveAndCheck(c, pw);
    derivedKey = r.derivedKey;
    return await aesCtr(derivedKey.subarray(0, 16), r.iv, r.ciphertext);
  } finally {
    pw.fill(0);
    derivedKey?.fill(0);
  }
}

function randomUuidV4(random: (n: number) => Uint8Array): string {
  const b = random(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return formatUuid(b);
}

/**
 * Encrypts a secret key into a v3 key file object (geth `EncryptKey`).
 *
 * @param privateKey 32-byte secp256k1 secret.
 * @param password Password string (UTF-8) or bytes.
 * @param opts scrypt N and p; optional salt, iv, UUID, randomness.
 * @returns The key file object, fields in geth's order; write it with
 *   {@linkcode serializeKeyFile}.
 * @throws {StaveError} when the secret is not a valid key.
 * @throws {RangeError} on invalid scrypt parameters.
 *
 * @example Usage
 * ```ts
 * import { encryptKeyV3 } from "./v3.ts";
 * import { strictEqual } from "node:assert/strict";
 * const key = new Uint8Array(32);
 * key[31] = 1;
 * const file = await encryptKeyV3(key, "pw", { scryptN: 16, scryptP: 1 });
 * strictEqual(file.address, "7e5f4552091a69125d5dfcb7b8c2659029395bdf");
 * strictEqual(file.version, 3);
 * ```
 */
export async function encryptKeyV3(
  privateKey: Uint8Array,
  password: Uint8Array | string,
  opts: EncryptKeyOptions,
): Promise<KeyFileV3> {
  const address = privateKeyToAddress(privateKey);
  const id = opts.id !== undefined
    ? formatUuid(goParseUuid(opts.id))
    : randomUuidV4(opts.randomBytes ?? randomBytes);
  const crypto = await encryptDataV3(privateKey, password, opts);
  return { address: toHex(address), crypto, id, version: 3 };
}

/**
 * Serializes a key file as geth's `json.Marshal` does: one line, no
 * trailing newline, fields in struct order, `kdfparams` keys sorted.
 *
 * @param file Key file object.
 * @returns The JSON text.
 *
 * @example Usage
 * ```ts
 * import { encryptKeyV3, serializeKeyFile } from "./v3.ts";
 * import { ok } from "node:assert/strict";
 * const key = new Uint8Array(32).fill(7);
 * const text = serializeKeyFile(await encryptKeyV3(key, "pw", { scryptN: 16, scryptP: 1 }));
 * ok(text.startsWith('{"address":"'));
 * ok(text.includes('"kdfparams":{"dklen":32,"n":16,"p":1,"r":8,"salt":"'));
 * ```
 */
export function serializeKeyFile(file: KeyFileV3): string {
  const c = file.crypto;
  const kdfparams: Record<string, unknown> = {};
  for (const k of Object.keys(c.kdfparams).sort()) {
    kdfparams[k] = c.kdfparams[k];
  }
  const ordered = {
    address: file.address,
    crypto: {
      cipher: c.cipher,
      ciphertext: c.ciphertext,
      cipherparams: { iv: c.cipherparams.iv },
      kdf: c.kdf,
      kdfparams,
      mac: c.mac,
    },
    id: file.id,
    version: file.version,
  };
  // Go escapes these inside strings; they cannot occur outside strings.
  return JSON.stringify(ordered).replace(
    /[<>&\u2028\u2029]/g,
    (ch) => "\\u" + ch.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

/**
 * Decrypts a key file (geth `DecryptKey`): legacy v1 when `version` is the
 * string `"1"`, else v3 (`version` must be the number 3). The plaintext must
 * be a valid 32-byte secret; 30/31-byte plaintexts are rejected, not padded.
 *
 * @param json Key file text (or its bytes).
 * @param password Password string (UTF-8) or bytes.
 * @returns Secret, derived address and UUID; the caller wipes `privateKey`.
 * @throws {DecryptError} on a wrong password.
 * @throws {StaveError} `version not supported: <v>`, `cipher not supported:
 *   <c>`, `unsupported KDF: <k>`, `unsupported PBKDF2 PRF: <p>`,
 *   `invalid key: invalid length, need 256 bits`, `invalid key: invalid
 *   private key, >=N`, `invalid key: invalid private key, zero or negative`.
 * @throws {SyntaxError} on malformed JSON, hex or UUID.
 * @throws {TypeError} on mistyped fields (Go's `json: cannot unmarshal ...`).
 * @throws {RangeError} on invalid or oversized KDF parameters.
 *
 * @example Usage
 * ```ts
 * import { decryptKeyV3, encryptKeyV3, serializeKeyFile } from "./v3.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 * const key = new Uint8Array(32).fill(7);
 * const text = serializeKeyFile(await encryptKeyV3(key, "pw", { scryptN: 16, scryptP: 1 }));
 * deepStrictEqual((await decryptKeyV3(text, "pw")).privateKey, key);
 * ```
 */
export async function decryptKeyV3(
  json: string | Uint8Array,
  password: Uint8Array | string,
): Promise<DecryptedKey> {
  const size = typeof json === "string" ? json.length : json.length;
  if (size > MAX_KEY_FILE_SIZE) {
    throw new RangeError(`key file larger than ${MAX_KEY_FILE_SIZE} bytes`);
  }
  const text = typeof json === "string" ? json : new TextDecoder().decode(json);
  const m = parseJsonKeepNumbers(text);
  if (!isJsonObject(m)) {
    const kind = Array.isArray(m)
      ? "array"
      : typeof m === "string"
      ? "string"
      : typeof m === "boolean"
      ? "bool"
      : "number";
    if (m !== null) {
      throw new TypeError(
        `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`,
      );
    }
  }
  const pw = passwordBytes(password);
  let plain: Uint8Array | undefined;
  try {
    let idBytes: Uint8Array;
    if (isJsonObject(m) && m.version === "1") {
      const k = goDecodeStruct(m, KEY_V1_STRUCT);
      idBytes = goParseUuid(k.id as string);
      const r = await deriveAndCheck(k.crypto as CryptoJson, pw);
      try {
        const aesKey = keccak_256(r.derivedKey.subarray(0, 16)).subarray(0, 16);
        try {
          plain = await aesCbcDecrypt(aesKey, r.iv, r.ciphertext);
        } finally {
          aesKey.fill(0);
        }
      } finally {
        r.derivedKey.fill(0);
      }
    } else {
      const k = goDecodeStruct(m, KEY_V3_STRUCT);
      if (k.version !== 3) {
        throw new StaveError(`version not supported: ${k.version}`);
      }
      idBytes = goParseUuid(k.id as string);
      plain = await decryptDataV3(k.crypto, pw);
    }
    try {
      validatePrivateKey(plain);
    } catch (err) {
      throw new StaveError(`invalid key: ${(err as Error).message}`);
    }
    const address = privateKeyToAddress(plain);
    const privateKey = plain;
    plain = undefined;
    return { privateKey, address, id: formatUuid(idBytes) };
  } finally {
    pw.fill(0);
    plain?.fill(0);
  }
}

/**
 * Checks that a decrypted key belongs to the account it was looked up for
 * (geth `keyStorePassphrase.GetKey`, against key-file swap attacks).
 *
 * @param have Address derived from the decrypted key.
 * @param want Address the file was selected for.
 * @throws {StaveError} `key content mismatch: have account <hex>, want <hex>`.
 *
 * @example Usage
 * ```ts
 * import { checkKeyAddress } from "./v3.ts";
 * import { throws } from "node:assert/strict";
 * throws(() => checkKeyAddress(new Uint8Array(20), new Uint8Array(20).fill(1)), {
 *   message: "key content mismatch: have account " + "00".repeat(20) + ", want " + "01".repeat(20),
 * });
 * ```
 */
export function checkKeyAddress(have: Uint8Array, want: Uint8Array): void {
  if (!constantTimeEqual(have, want)) {
    throw new StaveError(
      `key content mismatch: have account ${toHex(have)}, want ${toHex(want)}`,
    );
  }
}
