/**
 * The `account_*` method table: positional parameters decoded in order
 * with Go's rules (spec external-api.md §1.3, §2; the dispatcher answers a
 * decoder's throw with -32602 `invalid argument <i>: <message>`), the
 * audit log around each call (`auditlog.go`), then the signer core.
 *
 * @module
 */
import type { MixedcaseAddress } from "../address.ts";
import { fromHex } from "../_bytes.ts";
import { type JsonValue, stringifyJson } from "../json.ts";
import {
  decodeBytesJson,
  decodeMixedcaseAddressJson,
  goJsonKind,
} from "../signing/hexutil.ts";
import { decodeTypedData, type TypedData } from "../signing/eip712.ts";
import { decodeGnosisSafeTx, type GnosisSafeTx } from "../signing/gnosis.ts";
import {
  decodeSendTxArgs,
  type SendTxArgs,
  sendTxArgsToJson,
} from "../signing/send_tx_args.ts";
import type { Metadata } from "../ui/ui.ts";
import type { CallContext, MethodSpec, ParamSpec } from "../rpc/dispatch.ts";
import type { AuditLogger } from "./audit_log.ts";
import type { SignerApi } from "./external.ts";

function goString(v: JsonValue): string {
  if (v === null) return ""; // Go leaves a string untouched for null
  if (typeof v !== "string") {
    throw new TypeError(
      `json: cannot unmarshal ${goJsonKind(v)} into Go value of type string`,
    );
  }
  return v;
}

function objectOrEmpty(v: JsonValue): JsonValue {
  // Go decodes a JSON null into a struct as its zero value.
  return v === null ? Object.create(null) : v;
}

/** A decoded object argument that is also audited as received. */
interface Received<T> {
  raw: JsonValue;
  value: T;
}

const STRING: ParamSpec = { decode: (v) => goString(v) };
const OPTIONAL_STRING: ParamSpec = { optional: true, decode: goString };
const ADDRESS: ParamSpec = { decode: (v) => decodeMixedcaseAddressJson(v) };
const BYTES: ParamSpec = { decode: (v) => decodeBytesJson(v) };
const ANY: ParamSpec = {};

function received<T>(decode: (v: JsonValue) => T): ParamSpec {
  return {
    decode: (v): Received<T> => {
      const raw = objectOrEmpty(v);
      return { raw, value: decode(raw) };
    },
  };
}

/**
 * Builds the method table of the external API.
 *
 * @param api The signer core.
 * @param audit The audit logger, when `--auditlog` is set.
 * @returns Method name → spec, for `RpcServer.register`.
 */
export function externalMethods(
  api: SignerApi,
  audit?: AuditLogger,
): Record<string, MethodSpec> {
  const a = audit;
  const meta = (ctx: CallContext): Metadata => ctx.meta;
  return {
    account_version: {
      async handler(_args, ctx) {
        await a?.versionRequest(meta(ctx));
        const v = api.version();
        await a?.versionResponse(v);
        return v;
      },
    },
    account_list: {
      async handler(_args, ctx) {
        await a?.listRequest(meta(ctx));
        try {
          const list = await api.list(meta(ctx));
          await a?.listResponse(list);
          return list;
        } catch (err) {
          await a?.listResponse([]);
          throw err;
        }
      },
    },
    account_new: {
      handler(_args, ctx) {
        return api.newAccount(meta(ctx)); // not audited, as in clef
      },
    },
    account_signTransaction: {
      params: [received(decodeSendTxArgs), OPTIONAL_STRING],
      async handler(args, ctx) {
        const tx = (args[0] as Received<SendTxArgs>).value;
        const selector = args[1] as string | undefined;
        await a?.signTransactionRequest(
          meta(ctx),
          stringifyJson(sendTxArgsToJson(tx)),
          selector,
        );
        try {
          const result = await api.signTransaction(tx, selector, meta(ctx));
          await a?.signTransactionResponse(fromHex(result.raw));
          return result;
        } catch (err) {
          await a?.signTransactionResponse(undefined, err);
          throw err;
        }
      },
    },
    account_signData: {
      params: [STRING, ADDRESS, ANY],
      async handler(args, ctx) {
        const contentType = args[0] as string;
        const address = args[1] as MixedcaseAddress;
        const data = args[2] as JsonValue;
        await a?.signDataRequest(
          meta(ctx),
          address,
          stringifyJson(data),
          contentType,
        );
        try {
          const sig = await api.signData(contentType, address, data, meta(ctx));
          await a?.signDataResponse(fromHex(sig));
          return sig;
        } catch (err) {
          await a?.signDataResponse(undefined, err);
          throw err;
        }
      },
    },
    account_signTypedData: {
      params: [ADDRESS, received(decodeTypedData)],
      async handler(args, ctx) {
        const address = args[0] as MixedcaseAddress;
        const typed = args[1] as Received<TypedData>;
        await a?.signTypedDataRequest(
          meta(ctx),
          address,
          stringifyJson(typed.raw),
        );
        try {
          const sig = await api.signTypedData(address, typed.value, meta(ctx));
          await a?.signTypedDataResponse(fromHex(sig));
          return sig;
        } catch (err) {
          await a?.signTypedDataResponse(undefined, err);
          throw err;
        }
      },
    },
    account_signGnosisSafeTx: {
      params: [ADDRESS, received(decodeGnosisSafeTx), OPTIONAL_STRING],
      async handler(args, ctx) {
        const address = args[0] as MixedcaseAddress;
        const safeTx = args[1] as Received<GnosisSafeTx>;
        const selector = args[2] as string | undefined;
        await a?.signGnosisSafeTxRequest(
          meta(ctx),
          address,
          stringifyJson(safeTx.raw),
          selector,
        );
        try {
          const result = await api.signGnosisSafeTx(
            address,
            safeTx.value,
            selector,
            meta(ctx),
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
      params: [BYTES, BYTES],
      async handler(args, ctx) {
        const data = args[0] as Uint8Array;
        const sig = args[1] as Uint8Array;
        await a?.ecRecoverRequest(meta(ctx), data, sig);
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

/**
 * Calls a method in-process with raw JSON arguments, decoding them as the
 * dispatcher would (used by the `--stdio-ui-test` self test).
 *
 * @param spec The method.
 * @param args Raw positional arguments.
 * @param meta Request metadata.
 * @returns The handler's result.
 */
export async function callMethod(
  spec: MethodSpec,
  args: JsonValue[],
  meta: Metadata,
): Promise<unknown> {
  const decoded = (spec.params ?? []).map((p, i) =>
    i >= args.length || (p.optional && args[i] === null)
      ? undefined
      : p.decode
      ? p.decode(args[i])
      : args[i]
  );
  return await spec.handler(decoded, {
    transport: "ipc",
    meta,
    signal: new AbortController().signal,
  });
}
