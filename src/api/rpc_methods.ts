/**
 * The `account_*` method table: positional parameters decoded with Go's
 * rules (spec external-api.md §1.3, §2), the audit log around each call
 * (`auditlog.go`), then the signer core.
 *
 * @module
 */
import type { MixedcaseAddress } from "../address.ts";
import { fromHex } from "../_bytes.ts";
import { StaveError } from "../errors.ts";
import { type JsonValue, stringifyJson } from "../json.ts";
import {
  decodeBytesJson,
  decodeMixedcaseAddressJson,
  goJsonKind,
} from "../signing/hexutil.ts";
import { decodeTypedData } from "../signing/eip712.ts";
import { decodeGnosisSafeTx } from "../signing/gnosis.ts";
import { decodeSendTxArgs, sendTxArgsToJson } from "../signing/send_tx_args.ts";
import type { Metadata } from "../ui/ui.ts";
import type { AuditLogger } from "./audit_log.ts";
import type { SignerApi } from "./external.ts";

/** The context the transport hands each call. */
export interface CallContext {
  meta: Metadata;
}

/** One JSON-RPC method: arity and handler over positional arguments. */
export interface MethodSpec {
  /** Arguments that must be present. */
  minArgs: number;
  /** Most arguments accepted. */
  maxArgs: number;
  /** Runs the call; throws to answer with an error. */
  handler(args: JsonValue[], ctx: CallContext): Promise<unknown>;
}

/** `invalid argument <i>: <msg>` with code -32602 (go-ethereum rpc). */
export class InvalidArgumentError extends StaveError {
  constructor(index: number, message: string) {
    super(`invalid argument ${index}: ${message}`, { code: -32602 });
  }
}

function decodeArg<T>(index: number, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) {
      throw new InvalidArgumentError(index, err.message);
    }
    throw err;
  }
}

function stringArg(args: JsonValue[], i: number): string {
  const v = args[i];
  if (v === null || v === undefined) return "";
  if (typeof v !== "string") {
    throw new InvalidArgumentError(
      i,
      `json: cannot unmarshal ${goJsonKind(v)} into Go value of type string`,
    );
  }
  return v;
}

function optionalStringArg(args: JsonValue[], i: number): string | undefined {
  const v = args[i];
  return v === null || v === undefined ? undefined : stringArg(args, i);
}

function addressArg(args: JsonValue[], i: number): MixedcaseAddress {
  return decodeArg(i, () => decodeMixedcaseAddressJson(args[i]));
}

function bytesArg(args: JsonValue[], i: number): Uint8Array {
  return decodeArg(i, () => decodeBytesJson(args[i]));
}

function objectOrEmpty(v: JsonValue | undefined): JsonValue {
  // Go decodes a JSON null into a struct as its zero value.
  return v === null || v === undefined ? Object.create(null) : v;
}

/**
 * Builds the method table of the external API.
 *
 * @param api The signer core.
 * @param audit The audit logger, when `--auditlog` is set.
 * @returns Method name → spec.
 */
export function externalMethods(
  api: SignerApi,
  audit?: AuditLogger,
): Record<string, MethodSpec> {
  const a = audit;
  return {
    account_version: {
      minArgs: 0,
      maxArgs: 0,
      async handler(_args, { meta }) {
        await a?.versionRequest(meta);
        const v = api.version();
        await a?.versionResponse(v);
        return v;
      },
    },
    account_list: {
      minArgs: 0,
      maxArgs: 0,
      async handler(_args, { meta }) {
        await a?.listRequest(meta);
        try {
          const list = await api.list(meta);
          await a?.listResponse(list);
          return list;
        } catch (err) {
          await a?.listResponse([]);
          throw err;
        }
      },
    },
    account_new: {
      minArgs: 0,
      maxArgs: 0,
      handler(_args, { meta }) {
        return api.newAccount(meta); // not audited, as in clef
      },
    },
    account_signTransaction: {
      minArgs: 1,
      maxArgs: 2,
      async handler(args, { meta }) {
        const tx = decodeArg(0, () => decodeSendTxArgs(objectOrEmpty(args[0])));
        const selector = optionalStringArg(args, 1);
        await a?.signTransactionRequest(
          meta,
          stringifyJson(sendTxArgsToJson(tx)),
          selector,
        );
        try {
          const result = await api.signTransaction(tx, selector, meta);
          await a?.signTransactionResponse(fromHex(result.raw));
          return result;
        } catch (err) {
          await a?.signTransactionResponse(undefined, err);
          throw err;
        }
      },
    },
    account_signData: {
      minArgs: 3,
      maxArgs: 3,
      async handler(args, { meta }) {
        const contentType = stringArg(args, 0);
        const address = addressArg(args, 1);
        const data = args[2] ?? null;
        await a?.signDataRequest(
          meta,
          address,
          stringifyJson(data),
          contentType,
        );
        try {
          const sig = await api.signData(contentType, address, data, meta);
          await a?.signDataResponse(fromHex(sig));
          return sig;
        } catch (err) {
          await a?.signDataResponse(undefined, err);
          throw err;
        }
      },
    },
    account_signTypedData: {
      minArgs: 2,
      maxArgs: 2,
      async handler(args, { meta }) {
        const address = addressArg(args, 0);
        const raw = objectOrEmpty(args[1]);
        const typed = decodeArg(1, () => decodeTypedData(raw));
        await a?.signTypedDataRequest(meta, address, stringifyJson(raw));
        try {
          const sig = await api.signTypedData(address, typed, meta);
          await a?.signTypedDataResponse(fromHex(sig));
          return sig;
        } catch (err) {
          await a?.signTypedDataResponse(undefined, err);
          throw err;
        }
      },
    },
    account_signGnosisSafeTx: {
      minArgs: 2,
      maxArgs: 3,
      async handler(args, { meta }) {
        const address = addressArg(args, 0);
        const raw = objectOrEmpty(args[1]);
        const safeTx = decodeArg(1, () => decodeGnosisSafeTx(raw));
        const selector = optionalStringArg(args, 2);
        await a?.signGnosisSafeTxRequest(
          meta,
          address,
          stringifyJson(raw),
          selector,
        );
        try {
          const result = await api.signGnosisSafeTx(
            address,
            safeTx,
            selector,
            meta,
          );
          await a?.signGnosisSafeTxResponse(stringifyJson(result));
          return result;
        } catch (err) {
          await a?.signGnosisSafeTxResponse(undefined, err);
          throw err;
        }
      },
    },
    account_ecRecover: {
      minArgs: 2,
      maxArgs: 2,
      async handler(args, { meta }) {
        const data = bytesArg(args, 0);
        const sig = bytesArg(args, 1);
        await a?.ecRecoverRequest(meta, data, sig);
        try {
          const addr = api.ecRecover(data, sig);
          await a?.ecRecoverResponse(addr);
          return addr;
        } catch (err) {
          await a?.ecRecoverResponse(new Uint8Array(20), err);
          throw err;
        }
      },
    },
  };
}
