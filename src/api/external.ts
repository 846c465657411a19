/**
 * The external API (`account_*`), go-ethereum `signer/core/api.go`
 * `SignerAPI` and `signed_data.go`: every call that reveals accounts or
 * signs goes through the UI (or the rules engine wrapping it) first, and
 * only then does the signer look the account up, so an unapproved caller
 * cannot probe which accounts exist.
 *
 * Parameters arrive decoded (see `rpc_methods.ts`); this module holds the
 * flows, their order and clef's error texts.
 *
 * @module
 */
import { annotateCall } from "../rpc/dispatch.ts";
import { deniedBy } from "../ui/ui.ts";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { MixedcaseAddress, toChecksumAddress } from "../address.ts";
import { to0xHex, toBase64 } from "../_bytes.ts";
import { RequestDeniedError, StaveError } from "../errors.ts";
import { checkKeyAddress } from "../keystore/v3.ts";
import type { KeyStoreAccount } from "../cli/fs_key_dir.ts";
import { signHash, toEthereumV } from "../signing/signature.ts";
import { ecRecover } from "../signing/ecrecover.ts";
import type { Store } from "../vault/store.ts";
import type {
  Metadata,
  SignDataRequest,
  SignTransactionResult,
  SignTxRequest,
  Ui,
  ValidationInfo,
} from "../ui/ui.ts";
import { checkPassword } from "../vault/password_policy.ts";
import { decodeHeader } from "../signing/clique.ts";
import {
  buildSignDataRequest,
  buildTypedDataRequest,
  type SignDataRequestParts,
} from "../signing/sign_data.ts";
import {
  gnosisSafeDigest,
  type GnosisSafeTx,
  gnosisSafeTxResult,
  gnosisValidationArgs,
} from "../signing/gnosis.ts";
import {
  decodeSendTxArgs,
  emptySendTxArgs,
  type SendTxArgs,
  sendTxArgsToJson,
} from "../signing/send_tx_args.ts";
import { buildTransaction, signTransaction } from "../signing/tx.ts";
import { loadKzg } from "../signing/blob.ts";
import { signTransactionResult } from "../signing/tx_json.ts";
import { validateTransaction, validationFailure } from "../signing/validate.ts";
import type { FourByteDb } from "../signing/fourbyte.ts";
import type { TypedData } from "../signing/eip712.ts";
import type { JsonValue } from "../json.ts";
import type { CliqueGuard } from "./clique_guard.ts";
import type { KeyCache, KeyUnlocker } from "./key_unlock.ts";

/** External API version reported by `account_version` (clef 6.1.0). */
export const EXTERNAL_API_VERSION = "6.1.0";
/** Internal (UI) API version reported in the startup info (clef 7.0.1). */
export const INTERNAL_API_VERSION = "7.0.1";

/** The key folder as the signer uses it (src/cli/fs_key_dir.ts). */
export interface SignerKeystore {
  readonly disabled: boolean;
  accounts(): Promise<KeyStoreAccount[]>;
  find(address: Uint8Array): Promise<string>;
  readKeyFile(address: Uint8Array): Promise<string>;
  fileStamp(path: string): Promise<string | undefined>;
  newAccount(password: string): Promise<KeyStoreAccount>;
}

/** Log sink with geth-style key/value context. */
export interface SignerLogger {
  debug(msg: string, kv?: Record<string, unknown>): void;
  info(msg: string, kv?: Record<string, unknown>): void;
  warn(msg: string, kv?: Record<string, unknown>): void;
  error(msg: string, kv?: Record<string, unknown>): void;
}

/** Dependencies and settings of {@linkcode SignerApi}. */
export interface SignerOptions {
  ui: Ui;
  keystore: SignerKeystore;
  /** Stored key passwords; absent without a vault. */
  credentials?: Store;
  chainId: bigint;
  /** `--advanced`: show validation warnings instead of refusing. */
  advanced: boolean;
  /** Method selectors for calldata checks. */
  fourByte: FourByteDb;
  unlocker: KeyUnlocker;
  /** Present when `--keycache` is on (the default). */
  keyCache?: KeyCache;
  /** Told of key decryptions and key-cache hits (metrics). */
  observer?: { keyUnlocked(): void; keyCacheHit(): void };
  /** Present with `--clique-guard`. */
  cliqueGuard?: CliqueGuard;
  logger: SignerLogger;
}

/** Where a password prompt comes from (clef's titles and prompts). */
const PASSWORD_PROMPTS = {
  tx: {
    title: "Account password",
    prompt: (a: string) => `Please enter the password for account ${a}`,
  },
  data: {
    title: "Password for signing",
    prompt: (a: string) =>
      `Please enter password for signing data with account ${a}`,
  },
} as const;

/** Attempts `account_new` gives the UI to supply a valid password. */
export const NEW_ACCOUNT_ATTEMPTS = 3;

/** The signer core behind `account_*` (and the `clef_*` helpers). */
export class SignerApi {
  readonly #o: SignerOptions;
  /** Chain id used for every transaction signature (`clef_setChainId`). */
  chainId: bigint;

  /** @param opts Dependencies and settings. */
  constructor(opts: SignerOptions) {
    this.#o = opts;
    this.chainId = opts.chainId;
  }

  /** The UI (possibly wrapped by rules) this signer asks. */
  get ui(): Ui {
    return this.#o.ui;
  }

  /** `account_version`. */
  version(): string {
    return EXTERNAL_API_VERSION;
  }

  /**
   * `account_list`: the accounts the UI lets the caller see.
   *
   * @param meta Request metadata.
   * @returns Lowercase `0x` addresses.
   */
  async list(meta: Metadata): Promise<string[]> {
    const accounts = (await this.#o.keystore.accounts()).map((a) => ({
      address: a.address,
      url: a.url,
    }));
    const resp = await this.#o.ui.approveListing({ accounts, meta });
    if (resp.accounts === null || resp.accounts === undefined) {
      throw denied(resp);
    }
    return resp.accounts.map((a) => String(a.address).toLowerCase());
  }

  /**
   * `account_new`: approval first, then up to three password attempts.
   *
   * @param meta Request metadata.
   * @returns The new address, lowercase `0x` hex.
   */
  async newAccount(meta: Metadata): Promise<string> {
    if (this.#o.keystore.disabled) {
      throw new StaveError("password based accounts not supported");
    }
    const resp = await this.#o.ui.approveNewAccount({ meta });
    if (!resp.approved) throw denied(resp);
    return await this.createAccount();
  }

  /**
   * The password loop of `account_new` and `clef_new`.
   *
   * @returns The new address, lowercase `0x` hex.
   */
  async createAccount(): Promise<string> {
    if (this.#o.keystore.disabled) {
      throw new StaveError("password based accounts not supported");
    }
    for (let i = 0; i < NEW_ACCOUNT_ATTEMPTS; i++) {
      let password: string;
      try {
        password = (await this.#o.ui.onInputRequired({
          title: "New account password",
          prompt:
            `Please enter a password for the new account to be created (attempt ${i} of ${NEW_ACCOUNT_ATTEMPTS})`,
          isPassword: true,
        })).text;
      } catch (err) {
        this.#o.logger.warn("error obtaining password", {
          attempt: i,
          err: errorText(err),
        });
        continue;
      }
      try {
        checkPassword(password);
      } catch (err) {
        this.#o.ui.showError(
          `Account creation attempt #${
            i + 1
          } failed due to password requirements: ${errorText(err)}`,
        );
        continue;
      }
      const acc = await this.#o.keystore.newAccount(password);
      this.#o.logger.info("Your new key was generated", {
        address: toChecksumAddress(acc.address),
      });
      this.#o.logger.warn("Please backup your key file!", { path: acc.path });
      this.#o.logger.warn("Please remember your password!");
      return acc.address;
    }
    throw new StaveError("account creation failed");
  }

  /**
   * Shared tail of every data signature (`sign()` in signed_data.go):
   * approval, account lookup, password, signature. Errors from approval on
   * are also shown to the UI.
   *
   * @param built The request built from the content.
   * @param meta Request metadata.
   * @returns 65-byte signature; V is 27/28 except for Clique (0/1).
   */
  async signBuilt(
    built: SignDataRequestParts,
    meta: Metadata,
  ): Promise<Uint8Array> {
    const address = built.address;
    const request: SignDataRequest = {
      content_type: built.contentType,
      address: address.toJSON(),
      raw_data: toBase64(built.rawData),
      messages: built.messages,
      call_info: built.callInfo,
      hash: to0xHex(built.hash),
      meta,
    };
    const account = toChecksumAddress(address.bytes);
    const number = built.clique
      ? decodeHeader(built.rawData).number
      : undefined;
    annotateCall(number === undefined ? { account } : { account, number });
    try {
      const resp = await this.#o.ui.approveSignData(request);
      if (!resp.approved) throw denied(resp);
      const key = await this.#unlock(address.bytes, "data");
      try {
        if (number !== undefined && this.#o.cliqueGuard) {
          try {
            await this.#o.cliqueGuard.admit(
              account,
              number,
              to0xHex(built.hash),
            );
          } catch (err) {
            annotateCall({ by: "clique guard" });
            throw err;
          }
        }
        // The wallet hashes the raw bytes itself (equal to built.hash).
        const sig = signHash(keccak_256(built.rawData), key);
        return built.clique ? sig : toEthereumV(sig);
      } finally {
        key.fill(0);
      }
    } catch (err) {
      this.#o.ui.showError(errorText(err));
      throw err;
    }
  }

  /**
   * `account_signData`.
   *
   * @param contentType MIME type (parameters ignored).
   * @param address The signer as written by the caller.
   * @param data Content; its shape depends on the type.
   * @param meta Request metadata.
   * @returns `0x` signature.
   */
  async signData(
    contentType: string,
    address: MixedcaseAddress,
    data: JsonValue,
    meta: Metadata,
  ): Promise<string> {
    const built = buildSignDataRequest(contentType, address, data);
    return to0xHex(await this.signBuilt(built, meta));
  }

  /**
   * `account_signTypedData`.
   *
   * @param address The signer as written by the caller.
   * @param typedData The EIP-712 object.
   * @param meta Request metadata.
   * @returns `0x` signature.
   */
  async signTypedData(
    address: MixedcaseAddress,
    typedData: TypedData,
    meta: Metadata,
  ): Promise<string> {
    const built = buildTypedDataRequest(address, typedData);
    return to0xHex(await this.signBuilt(built, meta));
  }

  /**
   * `account_signGnosisSafeTx` (signing.md §8).
   *
   * @param address The signer.
   * @param tx The decoded Safe transaction.
   * @param selector Optional method signature for calldata checks.
   * @param meta Request metadata.
   * @returns The Safe transaction completed with the signature.
   */
  async signGnosisSafeTx(
    address: MixedcaseAddress,
    tx: GnosisSafeTx,
    selector: string | undefined,
    meta: Metadata,
  ): Promise<Record<string, JsonValue>> {
    const v = gnosisValidationArgs(tx);
    const args: SendTxArgs = {
      ...emptySendTxArgs(),
      gas: v.gas,
      gasPrice: v.gasPrice,
      value: v.value,
      nonce: v.nonce,
    };
    if (v.from) args.from = v.from;
    // Clef's GnosisSafeTx.To is a value: absent, it is the zero address with
    // an empty original (checksum and zero-address warnings), never nil.
    args.to = v.to ?? new MixedcaseAddress(new Uint8Array(20), "");
    if (v.data) args.data = v.data;
    if (v.chainId !== null) args.chainId = v.chainId;
    const { messages } = validateTransaction(args, selector, this.#o.fourByte);
    this.#refuseOnWarnings(messages);
    const { tx: done, typedData, digest } = gnosisSafeDigest(tx, this.chainId);
    const built = buildTypedDataRequest(address, typedData, {
      callInfo: messages.length > 0 ? messages : null,
    });
    const sig = await this.signBuilt(built, meta);
    return gnosisSafeTxResult(done, sig, digest, address.bytes);
  }

  /**
   * `account_signTransaction` (api.go `SignTransaction`).
   *
   * @param decoded The decoded SendTxArgs.
   * @param selector Optional method signature for calldata checks.
   * @param meta Request metadata.
   * @returns `{raw, tx}`.
   */
  async signTransaction(
    decoded: SendTxArgs,
    selector: string | undefined,
    meta: Metadata,
  ): Promise<SignTransactionResult> {
    // KZG (≈30 MiB) is loaded on the first blob transaction only.
    if (decoded.blobs !== undefined) await loadKzg();
    const { messages, args } = validateTransaction(
      decoded,
      selector,
      this.#o.fourByte,
    );
    this.#refuseOnWarnings(messages);
    if (args.chainId !== undefined && args.chainId !== this.chainId) {
      throw new StaveError(
        `requested chainid ${args.chainId} does not match the configuration of the signer`,
      );
    }
    const request = {
      transaction: sendTxArgsToJson(args),
      call_info: messages.length > 0 ? messages : null,
      meta,
    };
    annotateCall({ account: toChecksumAddress(args.from.bytes) });
    const resp = await this.#o.ui.approveTx(request);
    if (!resp.approved) throw denied(resp);
    const approved = approvedTransaction(args, request.transaction, resp);
    await this.findAccount(approved.from.bytes);
    if (approved.blobs !== undefined) await loadKzg();
    const unsigned = buildTransaction(approved);
    const chainId = this.chainId;
    let result: SignTransactionResult;
    try {
      result = await this.withTxKey(
        approved.from.bytes,
        (key) => signTransactionResult(signTransaction(unsigned, chainId, key)),
      );
    } catch (err) {
      this.#o.ui.showError(errorText(err));
      throw err;
    }
    // Awaited: an OnApprovedTx rule's storage writes are durable before the reply.
    await this.#o.ui.onApprovedTx(result);
    return result;
  }

  #refuseOnWarnings(messages: ValidationInfo[]): void {
    if (this.#o.advanced) return;
    const failure = validationFailure(messages);
    if (failure) throw new StaveError(failure);
  }

  /**
   * Signs a built transaction hash for `from` after approval
   * (`SignTxWithPassphrase`); the caller did the approval.
   *
   * @param from The sender.
   * @param sign Signs with the decrypted key (the key is wiped after).
   */
  async withTxKey<T>(
    from: Uint8Array,
    sign: (key: Uint8Array) => T,
  ): Promise<T> {
    const key = await this.#unlock(from, "tx");
    try {
      return sign(key);
    } finally {
      key.fill(0);
    }
  }

  /**
   * Checks that a key file exists for `address` (clef's `am.Find`), after
   * approval.
   *
   * @throws {UnknownAccountError} or the duplicate-keys error.
   */
  async findAccount(address: Uint8Array): Promise<string> {
    return await this.#o.keystore.find(address);
  }

  /**
   * `account_ecRecover` (personal-message scheme only).
   *
   * @returns The recovered address, lowercase `0x` hex.
   */
  ecRecover(data: Uint8Array, sig: Uint8Array): string {
    return to0xHex(ecRecover(data, sig));
  }

  /**
   * Decrypts the key of an account whose password is stored in the vault,
   * as signing would (in the unlock Worker; the key cache, when on, keeps
   * it), without asking anybody: the daemon's start-up check.
   *
   * @param address 20-byte address of a key in the keystore.
   * @returns false when no password is stored for it (nothing decrypted).
   * @throws {DecryptError} when the stored password does not open the key
   *   file; the key file errors of the keystore otherwise.
   */
  async unlockWithStoredPassword(address: Uint8Array): Promise<boolean> {
    const stored = await this.#storedPassword(toChecksumAddress(address));
    if (stored === undefined) return false;
    const key = await this.#unlock(address, "data");
    key.fill(0);
    return true;
  }

  /** Wipes cached keys and stops the unlock worker. */
  close(): void {
    this.#o.keyCache?.clear();
    this.#o.unlocker.close();
  }

  /**
   * Finds the key, gets its password (vault, else the UI) and decrypts it,
   * reusing a cached key when the password came from the vault.
   */
  async #unlock(
    address: Uint8Array,
    kind: keyof typeof PASSWORD_PROMPTS,
  ): Promise<Uint8Array> {
    const path = await this.#o.keystore.find(address);
    const checksummed = toChecksumAddress(address);
    const stored = await this.#storedPassword(checksummed);
    const cache = stored === undefined ? undefined : this.#o.keyCache;
    const stamp = cache
      ? { path, stamp: await this.#o.keystore.fileStamp(path) }
      : undefined;
    if (cache && stamp) {
      const hit = cache.get(checksummed, stamp);
      if (hit) {
        this.#o.observer?.keyCacheHit();
        return hit;
      }
    }
    let password = stored;
    if (password === undefined) {
      const p = PASSWORD_PROMPTS[kind];
      try {
        password = (await this.#o.ui.onInputRequired({
          title: p.title,
          prompt: p.prompt(checksummed),
          isPassword: true,
        })).text;
      } catch (err) {
        this.#o.logger.warn("error obtaining password", {
          err: errorText(err),
        });
        throw new StaveError("internal error");
      }
    }
    const json = await this.#o.keystore.readKeyFile(address);
    const { privateKey, address: derived } = await this.#o.unlocker.decrypt(
      json,
      password,
    );
    this.#o.observer?.keyUnlocked();
    try {
      checkKeyAddress(derived, address);
    } catch (err) {
      privateKey.fill(0);
      throw err;
    }
    if (cache && stamp) cache.set(checksummed, stamp, privateKey);
    return privateKey;
  }

  async #storedPassword(checksummed: string): Promise<string | undefined> {
    const store = this.#o.credentials;
    if (!store) return undefined;
    try {
      return await store.get(checksummed);
    } catch (err) {
      // clef treats an unreadable credential as "not stored" and asks the UI.
      this.#o.logger.warn("Failed to read stored password", {
        err: errorText(err),
      });
      return undefined;
    }
  }
}

/**
 * The transaction to sign after approval. A UI that approved without
 * editing (rules, the CLI) hands back the request's own object: the
 * validated request is signed as it is, as clef signs its `SendTxArgs`
 * struct (re-decoding its wire form would fail on a `from` of `"0x"` and
 * on a plain-number `blobVersion`). A transaction the UI sent back (stdio
 * UI) is decoded as clef decodes the UI's answer, and is not validated
 * again; a decoding error is the caller's -32000 error, as in clef.
 *
 * @param args The validated request.
 * @param sent The wire form shown to the UI.
 * @param resp The UI's answer.
 * @returns The request to sign.
 * @throws {StaveError} with the decoder's message.
 */
function approvedTransaction(
  args: SendTxArgs,
  sent: SignTxRequest["transaction"],
  resp: { transaction?: SignTxRequest["transaction"] | null },
): SendTxArgs {
  if (resp.transaction === sent) return args;
  try {
    return decodeSendTxArgs(
      (resp.transaction ?? Object.create(null)) as JsonValue,
    );
  } catch (err) {
    throw new StaveError(errorText(err), { cause: err });
  }
}

/**
 * The error for a "not approved" UI response, naming who denied it in the
 * call's log fields (the caller sees clef's `request denied`).
 */
function denied(resp: object): RequestDeniedError {
  const by = deniedBy(resp) ?? "ui";
  annotateCall({ by });
  return new RequestDeniedError(by);
}

/** An error's message, for the UI and the log (never carries a secret). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
