/**
 * Builds the signing requests of `account_signData` and
 * `account_signTypedData` as clef's `determineSignatureFormat` and
 * `typedDataRequest` do (spec signing.md §0–§4, external-api.md §4.5–4.6):
 * content-type dispatch, raw data, digest and display messages. Approval,
 * key lookup and signing happen in the API layer.
 *
 * @module
 */
import type { MixedcaseAddress } from "../address.ts";
import { StaveError } from "../errors.ts";
import type { JsonValue } from "../json.ts";
import type {
  Metadata,
  NameValueType,
  SignDataRequest,
  ValidationInfo,
} from "../ui/ui.ts";
import { to0xHex, toBase64 } from "../_bytes.ts";
import { buildCliqueSealRequest, cliqueMessage } from "./clique.ts";
import { CONTENT_TYPES, parseMediaType } from "./content_type.ts";
import { hashPersonalMessage, personalMessage } from "./eip191.ts";
import {
  decodeTypedData,
  hashTypedData,
  isTypedData,
  type TypedData,
} from "./eip712.ts";
import { formatTypedData } from "./eip712_format.ts";
import {
  buildValidatorRequest,
  decodeValidatorData,
} from "./validator_data.ts";
import { goBytesToString } from "./_go_fmt.ts";
import { hexFromJson } from "./_hex_value.ts";
import { parseTypedDataJson } from "./_parse_json.ts";

/** A data-signing request before approval (clef's `SignDataRequest`). */
export interface SignDataRequestParts {
  /** Parsed media type (`data/typed` for typed data). */
  contentType: string;
  /** The signer as the caller wrote it. */
  address: MixedcaseAddress;
  /** Exact bytes whose keccak256 is signed (`raw_data`, base64 on the wire). */
  rawData: Uint8Array;
  /** Display entries (`{name, value, type}`, clef's property order). */
  messages: NameValueType[];
  /** keccak256(rawData). */
  hash: Uint8Array;
  /** Validation messages (Gnosis only), else null. */
  callInfo: ValidationInfo[] | null;
  /** True for Clique headers: the signature keeps `v` 0/1. */
  clique: boolean;
}

/** Options of {@linkcode buildTypedDataRequest}. */
export interface TypedDataRequestOptions {
  /** Validation messages to show (Gnosis Safe requests). */
  callInfo?: ValidationInfo[] | null;
}

/** Re-throws a builder error as the -32000 error clef returns. */
function asStaveError(e: unknown): never {
  if (e instanceof StaveError) throw e;
  throw new StaveError((e as Error).message, { cause: e });
}

/**
 * Builds an `account_signData` request (clef's `determineSignatureFormat`).
 *
 * @param contentType The content type parameter (parsed like Go's
 * `mime.ParseMediaType`; parameters are ignored).
 * @param address The signer address as received.
 * @param data The `data` parameter (shape depends on the content type).
 * @returns The request parts; `clique` tells whether `v` stays 0/1.
 * @throws {StaveError} with clef's message (code -32000) for every
 * decoding, formatting and hashing error, including a clear refusal of a
 * Clique header whose number does not fit in 64 bits (clef seals it); code
 * -32603 `method handler crashed` where clef panics on a null array item in
 * typed data. A Clique header with Shanghai-or-later fields (clef crashed
 * there) is sealed as Nethermind verifies it, with a second message naming
 * those fields.
 *
 * @example Usage
 * ```ts
 * import { buildSignDataRequest } from "./sign_data.ts";
 * import { MixedcaseAddress } from "../address.ts";
 * import { strictEqual } from "node:assert/strict";
 * const addr = new MixedcaseAddress(new Uint8Array(20), "0x" + "00".repeat(20));
 * const r = buildSignDataRequest("text/plain", addr, "0x68656c6c6f20776f726c64");
 * strictEqual(r.messages[0].value, "\x19Ethereum Signed Message:\n11hello world");
 * ```
 */
export function buildSignDataRequest(
  contentType: string,
  address: MixedcaseAddress,
  data: JsonValue,
): SignDataRequestParts {
  try {
    const mediaType = parseMediaType(contentType);
    switch (mediaType) {
      case CONTENT_TYPES.dataValidator: {
        const r = buildValidatorRequest(decodeValidatorData(data));
        return {
          contentType: mediaType,
          address,
          rawData: r.rawData,
          messages: r.messages,
          hash: r.hash,
          callInfo: null,
          clique: false,
        };
      }
      case CONTENT_TYPES.clique: {
        const r = buildCliqueSealRequest(hexFromJson(data));
        const messages: NameValueType[] = [{
          name: "Clique header",
          value: cliqueMessage(r),
          type: "clique",
        }];
        if (r.laterFields.length > 0) {
          // stave only (clef crashed): say what the seal covers
          messages.push({
            name: "Clique seal hash",
            value: cliqueLaterFieldsMessage(r.laterFields),
            type: "clique",
          });
        }
        return {
          contentType: mediaType,
          address,
          rawData: r.rawData,
          messages,
          hash: r.sealHash,
          callInfo: null,
          clique: true,
        };
      }
      case CONTENT_TYPES.dataTyped: {
        const json = parseTypedDataJson(hexFromJson(data));
        return typedRequest(address, decodeTypedData(json), null);
      }
      default: {
        const message = hexFromJson(data);
        const rawData = personalMessage(message);
        return {
          contentType: mediaType,
          address,
          rawData,
          messages: [{
            name: "message",
            value: goBytesToString(rawData),
            type: CONTENT_TYPES.textPlain,
          }],
          hash: hashPersonalMessage(message),
          callInfo: null,
          clique: false,
        };
      }
    }
  } catch (e) {
    asStaveError(e);
  }
}

/**
 * The second display message of a Clique header with fields after
 * `baseFee`: what the seal hash covers.
 *
 * @param fields The post-London field names present.
 * @returns The message value.
 *
 * @example Usage
 * ```ts
 * import { cliqueLaterFieldsMessage } from "./sign_data.ts";
 * import { ok } from "node:assert/strict";
 * ok(cliqueLaterFieldsMessage(["withdrawalsHash"]).includes("withdrawalsHash"));
 * ```
 */
export function cliqueLaterFieldsMessage(fields: string[]): string {
  return `keccak256 of the header RLP as received, including ${
    fields.join(", ")
  } (sealed as Nethermind's Clique verifies it; geth's Clique rejects such headers)`;
}

function typedRequest(
  address: MixedcaseAddress,
  td: TypedData,
  callInfo: ValidationInfo[] | null,
): SignDataRequestParts {
  const messages = formatTypedData(td); // clef formats before hashing
  const { digest, rawData } = hashTypedData(td);
  return {
    contentType: CONTENT_TYPES.dataTyped,
    address,
    rawData,
    messages,
    hash: digest,
    callInfo,
    clique: false,
  };
}

/**
 * Builds an `account_signTypedData` (or Gnosis Safe) request: format, then
 * hash (clef's `typedDataRequest`, signing.md §3.2).
 *
 * @param address The signer address as received.
 * @param typedData The typed-data parameter (JSON) or already decoded typed data.
 * @param opts `callInfo` for Gnosis Safe requests.
 * @returns The request parts (content type `data/typed`).
 * @throws {TypedDataDecodeError} when the JSON does not decode into typed
 * data (Go's json text; clef reports it as `invalid argument 1: <text>`,
 * code -32602).
 * @throws {StaveError} formatting and hashing errors with clef's texts.
 *
 * @example Usage
 * ```ts
 * import { buildTypedDataRequest } from "./sign_data.ts";
 * import { MixedcaseAddress } from "../address.ts";
 * import { throws } from "node:assert/strict";
 * const addr = new MixedcaseAddress(new Uint8Array(20), "0x" + "00".repeat(20));
 * throws(() => buildTypedDataRequest(addr, null), { message: "domain is undefined" });
 * ```
 */
export function buildTypedDataRequest(
  address: MixedcaseAddress,
  typedData: JsonValue | TypedData,
  opts: TypedDataRequestOptions = {},
): SignDataRequestParts {
  const td = isTypedData(typedData) ? typedData : decodeTypedData(typedData);
  try {
    return typedRequest(address, td, opts.callInfo ?? null);
  } catch (e) {
    asStaveError(e);
  }
}

/**
 * The wire form of a data-signing request shown to UIs and rules
 * (ui-api.md §1.2): `raw_data` in standard base64, `hash` in hex, the
 * address as the caller wrote it (prefix normalised to `0x`).
 *
 * @param parts The built request.
 * @param meta Request metadata (external-api.md §3).
 * @returns The `SignDataRequest` object in clef's key order.
 *
 * @example Usage
 * ```ts
 * import { buildSignDataRequest, signDataRequestJson } from "./sign_data.ts";
 * import { MixedcaseAddress } from "../address.ts";
 * import { internalMetadata } from "../ui/ui.ts";
 * import { strictEqual } from "node:assert/strict";
 * const addr = new MixedcaseAddress(new Uint8Array(20), "0X" + "00".repeat(20));
 * const req = signDataRequestJson(buildSignDataRequest("text/plain", addr, "0x"), internalMetadata());
 * strictEqual(req.address, "0x" + "00".repeat(20));
 * strictEqual(req.raw_data, "GUV0aGVyZXVtIFNpZ25lZCBNZXNzYWdlOgow");
 * ```
 */
export function signDataRequestJson(
  parts: SignDataRequestParts,
  meta: Metadata,
): SignDataRequest {
  return {
    content_type: parts.contentType,
    address: parts.address.toJSON(),
    raw_data: toBase64(parts.rawData),
    messages: parts.messages,
    call_info: parts.callInfo,
    hash: to0xHex(parts.hash),
    meta,
  };
}
