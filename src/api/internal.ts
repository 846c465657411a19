/**
 * The internal API (`clef_*`, go-ethereum `signer/core/uiapi.go`): methods
 * a trusted stdio UI may call on the signer, pre-approved (spec ui-api.md
 * §3). Served only on the stdio channel, never on IPC or HTTP.
 *
 * @module
 */
import { to0xHex } from "../_bytes.ts";
import { StaveError, UnknownAccountError } from "../errors.ts";
import { JsonNumber, type JsonValue, parseJson } from "../json.ts";
import { decryptKeyV3 } from "../keystore/v3.ts";
import { validatePrivateKey } from "../keystore/raw_key.ts";
import { goQuoteByte } from "../keystore/_go.ts";
import type { KeyStoreAccount } from "../cli/fs_key_dir.ts";
import { decodeAddressJson } from "../signing/hexutil.ts";
import { goJsonStringify } from "../ui/go_format.ts";
import { checkPassword } from "../vault/password_policy.ts";
import type { SignerApi } from "./external.ts";
import { methodNotFoundError } from "../ui/stdio_ui.ts";

/** The key folder operations the internal API needs (FsKeyStore). */
export interface InternalKeystore {
  readonly disabled: boolean;
  accounts(): Promise<KeyStoreAccount[]>;
  readKeyFile(address: Uint8Array): Promise<string>;
  importKey(
    privateKey: Uint8Array,
    password: string,
    opts?: { id?: string },
  ): Promise<KeyStoreAccount>;
}

function args(params: JsonValue | undefined, max: number): JsonValue[] {
  if (params === undefined || params === null) return [];
  if (!Array.isArray(params)) {
    throw new StaveError("non-array args", { code: -32602 });
  }
  if (params.length > max) {
    throw new StaveError(`too many arguments, want at most ${max}`, {
      code: -32602,
    });
  }
  return params;
}

function requireString(a: JsonValue[], i: number): string {
  if (i >= a.length) {
    throw new StaveError(`missing value for required argument ${i}`, {
      code: -32602,
    });
  }
  const v = a[i];
  if (v === null) return "";
  if (typeof v !== "string") {
    throw new StaveError(
      `invalid argument ${i}: json: cannot unmarshal ${
        jsonKind(v)
      } into Go value of type string`,
      { code: -32602 },
    );
  }
  return v;
}

function jsonKind(v: JsonValue): string {
  if (v instanceof JsonNumber) return "number";
  if (Array.isArray(v)) return "array";
  if (typeof v === "object" && v !== null) return "object";
  return typeof v;
}

/**
 * geth `crypto.HexToECDSA`: 64 hex characters, no prefix.
 *
 * @param hex The key as the UI sent it.
 * @returns The 32 key bytes (the caller wipes them).
 */
export function hexToPrivateKey(hex: string): Uint8Array {
  const src = new TextEncoder().encode(hex);
  const out = new Uint8Array(src.length >> 1);
  const nib = (c: number) =>
    c >= 48 && c <= 57
      ? c - 48
      : c >= 97 && c <= 102
      ? c - 87
      : c >= 65 && c <= 70
      ? c - 55
      : -1;
  let j = 1;
  for (let i = 0; j < src.length; j += 2, i++) {
    for (const c of [src[j - 1], src[j]]) {
      if (nib(c) < 0) {
        out.fill(0);
        throw new StaveError(
          `invalid hex character ${goQuoteByte(c)} in private key`,
        );
      }
    }
    out[i] = (nib(src[j - 1]) << 4) | nib(src[j]);
  }
  if (src.length % 2 === 1) {
    out.fill(0);
    if (nib(src[src.length - 1]) < 0) {
      throw new StaveError(
        `invalid hex character ${
          goQuoteByte(src[src.length - 1])
        } in private key`,
      );
    }
    throw new StaveError("invalid hex data for private key");
  }
  try {
    validatePrivateKey(out);
  } catch (err) {
    out.fill(0);
    throw err;
  }
  return out;
}

function passwordOk(password: string): void {
  try {
    checkPassword(password);
  } catch (err) {
    throw new StaveError(
      `password requirements not met: ${(err as Error).message}`,
    );
  }
}

function account(a: KeyStoreAccount): { address: string; url: string } {
  return { address: a.address, url: a.url };
}

function parseChainId(v: JsonValue | undefined): bigint {
  // clef's `math.HexOrDecimal64`: a JSON number, or a decimal/0x string.
  let text: string;
  if (v instanceof JsonNumber) text = v.literal;
  else if (typeof v === "string") text = v;
  else {
    throw new StaveError(
      "invalid argument 0: json: cannot unmarshal into Go value of type math.HexOrDecimal64",
      { code: -32602 },
    );
  }
  let n: bigint | undefined;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) n = BigInt(text.replace(/^0X/, "0x"));
  else if (/^[0-9]+$/.test(text)) n = BigInt(text);
  if (n === undefined || n >= 1n << 64n) {
    throw new StaveError(
      `invalid argument 0: invalid hex or decimal integer ${
        JSON.stringify(text)
      }`,
      { code: -32602 },
    );
  }
  return n;
}

/**
 * Builds the handler the stdio UI calls for each `clef_*` request.
 *
 * @param signer The signer core (chain id, account creation).
 * @param keystore The key folder.
 * @returns `(method, params) => result`.
 */
export function createInternalApi(
  signer: SignerApi,
  keystore: InternalKeystore,
): (method: string, params: JsonValue | undefined) => Promise<unknown> {
  const methods: Record<
    string,
    (a: JsonValue | undefined) => Promise<unknown>
  > = {
    async clef_listAccounts(p) {
      args(p, 0);
      const list = await keystore.accounts();
      return list.length === 0 ? null : list.map(account);
    },
    async clef_listWallets(p) {
      args(p, 0);
      // A keystore wallet holds one key file; keystore wallets are never
      // unlocked by clef, so their status is always "Locked".
      return (await keystore.accounts()).map((a) => ({
        url: a.url,
        status: "Locked",
        accounts: [account(a)],
      }));
    },
    async clef_deriveAccount(p) {
      const a = args(p, 3);
      const url = requireString(a, 0);
      requireString(a, 1);
      if (!url.includes("://")) throw new StaveError("protocol scheme missing");
      const known = (await keystore.accounts()).some((x) => x.url === url);
      throw new StaveError(known ? "not supported" : "unknown wallet");
    },
    async clef_importRawKey(p) {
      const a = args(p, 2);
      const hex = requireString(a, 0);
      const password = requireString(a, 1);
      const key = hexToPrivateKey(hex);
      try {
        passwordOk(password);
        if (keystore.disabled) {
          throw new StaveError("password based accounts not supported");
        }
        return account(await keystore.importKey(key, password));
      } finally {
        key.fill(0);
      }
    },
    async clef_openWallet(p) {
      const a = args(p, 2);
      const url = requireString(a, 0);
      if (!url.includes("://")) throw new StaveError("protocol scheme missing");
      const known = (await keystore.accounts()).some((x) => x.url === url);
      if (!known) throw new StaveError("unknown wallet");
      return null;
    },
    clef_chainId(p) {
      args(p, 0);
      return Promise.resolve("0x" + signer.chainId.toString(16));
    },
    clef_setChainId(p) {
      const a = args(p, 1);
      if (a.length < 1) {
        throw new StaveError("missing value for required argument 0", {
          code: -32602,
        });
      }
      signer.chainId = parseChainId(a[0]);
      return Promise.resolve("0x" + signer.chainId.toString(16));
    },
    async clef_export(p) {
      const a = args(p, 1);
      if (a.length < 1) {
        throw new StaveError("missing value for required argument 0", {
          code: -32602,
        });
      }
      let address: Uint8Array;
      try {
        address = decodeAddressJson(a[0]);
      } catch (err) {
        throw new StaveError(`invalid argument 0: ${(err as Error).message}`, {
          code: -32602,
        });
      }
      const accounts = await keystore.accounts();
      if (!accounts.some((x) => x.address === to0xHex(address))) {
        throw new UnknownAccountError();
      }
      // Embedded verbatim (a json.RawMessage in clef).
      return parseJson(await keystore.readKeyFile(address));
    },
    async clef_import(p) {
      const a = args(p, 3);
      if (a.length < 1) {
        throw new StaveError("missing value for required argument 0", {
          code: -32602,
        });
      }
      const keyJson = goJsonStringify(a[0]);
      const oldPassword = requireString(a, 1);
      const newPassword = requireString(a, 2);
      passwordOk(newPassword);
      const key = await decryptKeyV3(keyJson, oldPassword);
      try {
        if (keystore.disabled) {
          throw new StaveError("password based accounts not supported");
        }
        return account(
          await keystore.importKey(key.privateKey, newPassword, {
            id: key.id,
          }),
        );
      } finally {
        key.privateKey.fill(0);
      }
    },
    async clef_new(p) {
      args(p, 0);
      return await signer.createAccount();
    },
  };
  return async (method, params) => {
    const fn = Object.hasOwn(methods, method) ? methods[method] : undefined;
    if (!fn) throw methodNotFoundError(method);
    return await fn(params);
  };
}
