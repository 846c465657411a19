import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { verifyTypedData } from "ethers";
import { MixedcaseAddress } from "../address.ts";
import { fromHex, to0xHex, toBase64, toHex, utf8 } from "../_bytes.ts";
import { StaveError } from "../errors.ts";
import { JsonNumber, type JsonValue, parseJson } from "../json.ts";
import { encodeHeader } from "./clique.ts";
import { ecRecover } from "./ecrecover.ts";
import { TypedDataDecodeError } from "./eip712.ts";
import {
  buildSignDataRequest,
  buildTypedDataRequest,
  signDataRequestJson,
} from "./sign_data.ts";
import { signHash, toEthereumV } from "./signature.ts";

const ADDR = new MixedcaseAddress(
  fromHex("9160dc9105f7de5dc5e7f3d97ef11da47269bda6"),
  "0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6",
);
const KEY = fromHex(
  "0102030405060708090a0102030405060708090a0102030405060708090a0102",
);
const testdata = new URL("../../testdata/", import.meta.url);

function hexOf(s: string): string {
  return "0x" + toHex(utf8(s));
}

function caught(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("no exception");
}

Deno.test("buildSignDataRequest() text/plain matches clef's documented request", () => {
  const r = buildSignDataRequest("text/plain", ADDR, hexOf("hello world"));
  strictEqual(r.contentType, "text/plain");
  strictEqual(r.address, ADDR);
  strictEqual(
    toBase64(r.rawData),
    "GUV0aGVyZXVtIFNpZ25lZCBNZXNzYWdlOgoxMWhlbGxvIHdvcmxk",
  );
  strictEqual(
    to0xHex(r.hash),
    "0xd9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68",
  );
  strictEqual(
    JSON.stringify(r.messages),
    '[{"name":"message","value":"\\u0019Ethereum Signed Message:\\n11hello world","type":"text/plain"}]',
  );
  strictEqual(r.callInfo, null);
  strictEqual(r.clique, false);
  // signed as clef does (v 27/28), the signature recovers to the signer
  const sig = toEthereumV(signHash(r.hash, KEY));
  ok(sig[64] === 27 || sig[64] === 28);
  deepStrictEqual(ecRecover(utf8("hello world"), sig), ADDR.bytes);
});

Deno.test("buildSignDataRequest() treats any other media type as a personal message", () => {
  for (
    const [ct, want] of [
      ["TEXT/Plain; charset=UTF-8", "text/plain"],
      ["data/plain", "data/plain"],
      ["text", "text"],
      ["foo/bar", "foo/bar"],
    ]
  ) {
    const r = buildSignDataRequest(ct, ADDR, "0x");
    strictEqual(r.contentType, want);
    strictEqual(r.messages[0].type, "text/plain");
    strictEqual(r.messages[0].value, "\x19Ethereum Signed Message:\n0");
  }
});

Deno.test("buildSignDataRequest() shows invalid UTF-8 bytes as U+FFFD, one per byte (Go)", () => {
  const r = buildSignDataRequest("text/plain", ADDR, "0xff41e282");
  strictEqual(
    r.messages[0].value,
    "\x19Ethereum Signed Message:\n4\ufffdA\ufffd\ufffd",
  );
  strictEqual(toHex(r.rawData.subarray(-4)), "ff41e282");
});

Deno.test("buildSignDataRequest() reports clef's errors as StaveError -32000", () => {
  const cases: [string, JsonValue, string][] = [
    ["text/plain", new JsonNumber("1"), "wrong type float64"],
    ["text/plain", true, "wrong type bool"],
    ["text/plain", null, "wrong type <nil>"],
    ["text/plain", parseJson("{}"), "wrong type map[string]interface {}"],
    ["text/plain", [], "wrong type []interface {}"],
    [
      "application/x-clique-header",
      5 as unknown as JsonValue,
      "wrong type float64",
    ],
    ["data/typed", parseJson("{}"), "wrong type map[string]interface {}"],
    ["text/plain", "", "empty hex string"],
    ["text/plain", "abcd", "hex string without 0x prefix"],
    ["text/plain", "0xzz", "invalid hex string"],
    ["text/plain", "0x123", "hex string of odd length"],
    ["", "0x", "mime: no media type"],
    ["text/", "0x", "mime: expected token after slash"],
    ["text/plain;x", "0x", "mime: invalid media parameter"],
    ["data/validator", "0x", "validator input is not a map[string]interface{}"],
    ["data/typed", hexOf("{"), "unexpected end of JSON input"],
    [
      "data/typed",
      hexOf('"x"'),
      "json: cannot unmarshal string into Go value of type apitypes.TypedData",
    ],
    ["data/typed", hexOf("null"), "domain is undefined"],
    [
      "application/x-clique-header",
      "0x80",
      "rlp: expected input list for types.Header",
    ],
  ];
  for (const [ct, data, msg] of cases) {
    const e = caught(() => buildSignDataRequest(ct, ADDR, data));
    ok(e instanceof StaveError, `${ct} ${msg}: ${e}`);
    strictEqual(e.code, -32000);
    strictEqual(e.message, msg);
  }
});

Deno.test("buildSignDataRequest() data/typed equals account_signTypedData", () => {
  const text = Deno.readTextFileSync(
    new URL("eip712/inline/mail_standard.json", testdata),
  );
  const viaData = buildSignDataRequest("data/typed", ADDR, hexOf(text));
  const viaTyped = buildTypedDataRequest(ADDR, parseJson(text));
  strictEqual(viaData.contentType, "data/typed");
  deepStrictEqual(viaData, viaTyped);
  strictEqual(viaData.rawData.length, 66);
  deepStrictEqual(viaData.hash, keccak_256(viaData.rawData));
  strictEqual(viaData.messages[1].name, "Mail");
  strictEqual(viaData.messages[1].type, "primary type");
});

Deno.test("buildTypedDataRequest() runs Format before hashing and keeps call info", () => {
  const arrays = parseJson(Deno.readTextFileSync(
    new URL("eip712/arrays-1.json", testdata),
  ));
  const e = caught(() => buildTypedDataRequest(ADDR, arrays));
  ok(e instanceof StaveError);
  strictEqual(e.message, "unhandled type address[]");
  // decoding errors stay TypeErrors: the RPC layer answers -32602
  const d = caught(() => buildTypedDataRequest(ADDR, "x"));
  ok(d instanceof TypedDataDecodeError && !(d instanceof StaveError));
  const gnosis = parseJson(Deno.readTextFileSync(
    new URL("eip712/inline/gnosis_typed.json", testdata),
  ));
  const info = [{ type: "Info" as const, message: "hi" }];
  const r = buildTypedDataRequest(ADDR, gnosis, { callInfo: info });
  strictEqual(r.callInfo, info);
  strictEqual(
    to0xHex(r.hash),
    "0x28bae2bd58d894a1d9b69e5e9fde3570c4b98a6fc5499aefb54fb830137e831f",
  );
});

Deno.test("buildSignDataRequest() data/validator", () => {
  const r = buildSignDataRequest(
    "data/validator",
    ADDR,
    parseJson(`{"address":"0x${"11".repeat(20)}","message":"0xc0de"}`),
  );
  strictEqual(r.contentType, "data/validator");
  strictEqual(to0xHex(r.rawData), "0x1900" + "11".repeat(20) + "c0de");
  strictEqual(r.messages.length, 4);
  strictEqual(r.clique, false);
});

Deno.test("buildSignDataRequest() clique header keeps v 0/1 and signs Shanghai as Nethermind verifies it", () => {
  const h = {
    parentHash: new Uint8Array(32),
    uncleHash: new Uint8Array(32),
    coinbase: new Uint8Array(20),
    root: new Uint8Array(32),
    txHash: new Uint8Array(32),
    receiptHash: new Uint8Array(32),
    bloom: new Uint8Array(256),
    difficulty: 0n,
    number: 0n,
    gasLimit: 0n,
    gasUsed: 0n,
    time: 0n,
    extra: new Uint8Array(32),
    mixDigest: new Uint8Array(32),
    nonce: new Uint8Array(8),
    baseFee: 0n,
  };
  const r = buildSignDataRequest(
    "application/x-clique-header",
    ADDR,
    to0xHex(encodeHeader(h)),
  );
  strictEqual(r.clique, true);
  strictEqual(
    to0xHex(r.hash),
    "0xbd3d1fa43fbc4c5bfcc91b179ec92e2861df3654de60468beb908ff805359e8f",
  );
  strictEqual(r.messages[0].name, "Clique header");
  strictEqual(r.messages[0].type, "clique");
  ok(String(r.messages[0].value).startsWith("clique header 0 [0x"));
  // Shanghai: signed as Nethermind verifies it, and the request says so
  const shanghai = encodeHeader({ ...h, withdrawalsHash: new Uint8Array(32) });
  const s = buildSignDataRequest(
    "application/x-clique-header",
    ADDR,
    to0xHex(shanghai),
  );
  strictEqual(s.clique, true);
  deepStrictEqual(s.rawData, shanghai);
  deepStrictEqual(s.hash, keccak_256(shanghai));
  strictEqual(s.messages.length, 2);
  deepStrictEqual(s.messages[0].name, "Clique header");
  ok(String(s.messages[0].value).startsWith("clique header 0 [0x"));
  deepStrictEqual(s.messages[1], {
    name: "Clique seal hash",
    value:
      "keccak256 of the header RLP as received, including withdrawalsHash (sealed as Nethermind's Clique verifies it; geth's Clique rejects such headers)",
    type: "clique",
  });
});

Deno.test("typed data with a number overflowing a double is refused as Go does", () => {
  const text = '{"domain":{"name":"n"},"message":{"a":[1, 1e400]}}';
  // data/typed: json.Unmarshal fails
  throws(() => buildSignDataRequest("data/typed", ADDR, hexOf(text)), {
    message:
      "json: cannot unmarshal number 1e400 into Go value of type float64",
  });
  // account_signTypedData: the RPC layer keeps the literal; decoding fails
  throws(
    () => buildTypedDataRequest(ADDR, parseJson(text, { allowOverflow: true })),
    {
      name: "TypedDataDecodeError",
      message:
        "json: cannot unmarshal number 1e400 into Go struct field TypedData.message of type float64",
    },
  );
});

Deno.test("signDataRequestJson() writes clef's SignDataRequest", () => {
  const meta = {
    remote: "NA",
    local: "NA",
    scheme: "ipc",
    "User-Agent": "",
    Origin: "",
  };
  const r = signDataRequestJson(
    buildSignDataRequest("text/plain", ADDR, hexOf("hello world")),
    meta,
  );
  strictEqual(
    JSON.stringify(r),
    '{"content_type":"text/plain","address":"0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6",' +
      '"raw_data":"GUV0aGVyZXVtIFNpZ25lZCBNZXNzYWdlOgoxMWhlbGxvIHdvcmxk",' +
      '"messages":[{"name":"message","value":"\\u0019Ethereum Signed Message:\\n11hello world","type":"text/plain"}],' +
      '"call_info":null,' +
      '"hash":"0xd9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68",' +
      '"meta":{"remote":"NA","local":"NA","scheme":"ipc","User-Agent":"","Origin":""}}',
  );
});

Deno.test("a data/typed signature verifies with ethers' verifyTypedData", () => {
  const text = Deno.readTextFileSync(
    new URL("eip712/inline/mail_standard.json", testdata),
  );
  const r = buildSignDataRequest("data/typed", ADDR, hexOf(text));
  const sig = toEthereumV(signHash(r.hash, KEY));
  const v = JSON.parse(text);
  delete v.types.EIP712Domain;
  strictEqual(
    verifyTypedData(v.domain, v.types, v.message, to0xHex(sig)),
    ADDR.original,
  );
});
