import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { fromHex, to0xHex } from "../_bytes.ts";
import { StaveError } from "../errors.ts";
import { type JsonValue, parseJson, stringifyJson } from "../json.ts";
import { decodeTypedData, hashTypedData } from "./eip712.ts";
import {
  decodeGnosisSafeTx,
  gnosisSafeDigest,
  gnosisSafeTxResult,
  gnosisSafeTxToTypedData,
  gnosisValidationArgs,
} from "./gnosis.ts";
import { buildTypedDataRequest } from "./sign_data.ts";
import { MixedcaseAddress } from "../address.ts";

const dir = new URL("../../testdata/gnosis/", import.meta.url);
const expected = JSON.parse(
  Deno.readTextFileSync(new URL("expected.json", dir)),
);

function load(name: string): JsonValue {
  return parseJson(Deno.readTextFileSync(new URL(name, dir)));
}

function withKey(v: JsonValue, key: string, value: JsonValue): JsonValue {
  const o = Object.assign(Object.create(null), v as object);
  o[key] = value;
  return o;
}

Deno.test("gnosisSafeTxToTypedData() reproduces go-ethereum TestGnosisCustomData", () => {
  const tx = decodeGnosisSafeTx(load("gnosis_safe_tx.json"));
  const digest = hashTypedData(gnosisSafeTxToTypedData(tx)).digest;
  strictEqual(to0xHex(digest), expected["gnosis_safe_tx.json"].safeTxHash);
  deepStrictEqual(digest, tx.safeTxHash);
  // same digest as the hand-written typed data of TestGnosisTypedData
  const typed = decodeTypedData(parseJson(Deno.readTextFileSync(
    new URL("../eip712/inline/gnosis_typed.json", dir),
  )));
  deepStrictEqual(hashTypedData(typed).digest, digest);
  const r = gnosisSafeDigest(tx, 1n);
  strictEqual(r.tx.chainId, null); // matched without filling in a chain id
  deepStrictEqual(r.digest, digest);
});

Deno.test("gnosisSafeTxToTypedData() reproduces TestGnosisCustomDataWithChainId", () => {
  const tx = decodeGnosisSafeTx(load("gnosis_safe_tx_chainid.json"));
  strictEqual(tx.chainId, 4n);
  const r = gnosisSafeDigest(tx, 1n);
  strictEqual(
    to0xHex(r.digest),
    expected["gnosis_safe_tx_chainid.json"].safeTxHash,
  );
  deepStrictEqual(r.typedData.types.get("EIP712Domain"), [
    { name: "chainId", type: "uint256" },
    { name: "verifyingContract", type: "address" },
  ]);
});

Deno.test("gnosisSafeDigest() fills in the configured chain id (TestGnosisSafe)", () => {
  const tx = decodeGnosisSafeTx(load("gnosis_safe_tx_missing_chainid.json"));
  const want = expected["gnosis_safe_tx_missing_chainid.json"];
  ok(
    to0xHex(hashTypedData(gnosisSafeTxToTypedData(tx)).digest) !==
      want.safeTxHash,
  );
  const r = gnosisSafeDigest(tx, BigInt(want.chainIdToFill));
  strictEqual(to0xHex(r.digest), want.safeTxHash);
  strictEqual(r.tx.chainId, 1n);
  strictEqual(tx.chainId, null); // the input object is not modified
  throws(() => gnosisSafeDigest(tx, 5n), {
    message: new RegExp(
      `^mismatched safeTxHash; have 0x[0-9a-f]{64} want ${want.safeTxHash}$`,
    ),
  });
});

Deno.test("gnosisSafeDigest() signs the computed digest when chainId was given (clef quirk)", () => {
  const v = withKey(
    load("gnosis_safe_tx_chainid.json"),
    "safeTxHash",
    "0x" + "ab".repeat(32),
  );
  const r = gnosisSafeDigest(decodeGnosisSafeTx(v), 1n);
  strictEqual(
    to0xHex(r.digest),
    expected["gnosis_safe_tx_chainid.json"].safeTxHash,
  );
  strictEqual(r.tx.chainId, 4n);
});

Deno.test("gnosisSafeDigest() returns hashing errors with clef's texts", () => {
  const v = withKey(load("gnosis_safe_tx.json"), "safeTxGas", parseJson("-1"));
  const e = (() => {
    try {
      gnosisSafeDigest(decodeGnosisSafeTx(v), 1n);
    } catch (e) {
      return e;
    }
  })();
  ok(e instanceof StaveError);
  strictEqual(e.message, "invalid negative value for unsigned type uint256");
});

Deno.test("decodeGnosisSafeTx() follows Go's JSON decoding of GnosisSafeTx", () => {
  const base = load("gnosis_safe_tx.json");
  const cases: [string, JsonValue, string][] = [
    [
      "value",
      parseJson("5"),
      "json: cannot unmarshal number into Go struct field GnosisSafeTx.value of type math.Decimal256",
    ],
    ["gasPrice", "abc", 'invalid hex or decimal integer "abc"'],
    ["safeTxGas", "5", 'math/big: cannot unmarshal "\\"5\\"" into a *big.Int'],
    [
      "nonce",
      parseJson("1.5"),
      'math/big: cannot unmarshal "1.5" into a *big.Int',
    ],
    [
      "operation",
      parseJson("256"),
      "json: cannot unmarshal number 256 into Go struct field GnosisSafeTx.operation of type uint8",
    ],
    [
      "operation",
      "1",
      "json: cannot unmarshal string into Go struct field GnosisSafeTx.operation of type uint8",
    ],
    ["safe", "0x12", "hex string has length 2, want 40 for common.Address"],
    [
      "to",
      null,
      "json: cannot unmarshal non-string into Go struct field GnosisSafeTx.to of type common.Address",
    ],
    [
      "safeTxHash",
      null,
      "json: cannot unmarshal non-string into Go struct field GnosisSafeTx.safeTxHash of type common.Hash",
    ],
    [
      "data",
      "0x1",
      "json: cannot unmarshal hex string of odd length into Go struct field GnosisSafeTx.data of type hexutil.Bytes",
    ],
    ["chainId", "0xzz", 'invalid hex or decimal integer "0xzz"'],
  ];
  for (const [key, value, msg] of cases) {
    throws(() => decodeGnosisSafeTx(withKey(base, key, value)), {
      message: msg,
    }, key);
  }
  throws(() => decodeGnosisSafeTx([]), {
    message:
      "json: cannot unmarshal array into Go value of type core.GnosisSafeTx",
  });
  // case-insensitive keys, unknown keys ignored, chainId as number or hex
  const tx = decodeGnosisSafeTx(
    withKey(
      withKey(base, "ChainID", parseJson("100")),
      "NONCE",
      parseJson("18446744073709551621"),
    ),
  );
  strictEqual(tx.chainId, 100n);
  strictEqual(tx.nonce, 2n ** 64n + 5n);
  strictEqual(gnosisValidationArgs(tx).nonce, 5n); // low 64 bits, as clef
  strictEqual(gnosisSafeTxToTypedData(tx).message.nonce, "5");
  strictEqual(
    decodeGnosisSafeTx(withKey(base, "chainId", "0x10")).chainId,
    16n,
  );
});

Deno.test("gnosisValidationArgs() builds clef's pseudo-transaction", () => {
  const tx = decodeGnosisSafeTx(load("gnosis_safe_tx_chainid.json"));
  const a = gnosisValidationArgs(tx);
  strictEqual(a.from?.original, "0x111dAE35D176A9607053e0c46e91F36AFbC1dc57");
  strictEqual(a.to?.original, "0x5592EC0cfb4dbc12D3aB100b257153436a1f0FEa");
  strictEqual(a.gas, 0n);
  strictEqual(a.nonce, 15n);
  strictEqual(a.chainId, 4n);
  strictEqual(to0xHex(a.data!).slice(0, 10), "0xa9059cbb");
  strictEqual(
    gnosisValidationArgs(decodeGnosisSafeTx(load("gnosis_safe_tx.json"))).data,
    null,
  );
});

Deno.test("gnosisSafeTxResult() writes clef's output object", () => {
  const tx = decodeGnosisSafeTx(load("gnosis_safe_tx_missing_chainid.json"));
  const { tx: filled, digest } = gnosisSafeDigest(tx, 1n);
  const signer = fromHex("9160dc9105f7de5dc5e7f3d97ef11da47269bda6");
  const sig = new Uint8Array(65).fill(1);
  sig[64] = 28;
  strictEqual(
    stringifyJson(gnosisSafeTxResult(filled, sig, digest, signer)),
    `{"signature":"0x${"01".repeat(64)}1c",` +
      `"contractTransactionHash":"${to0xHex(digest)}",` +
      `"sender":"0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6",` +
      `"safe":"0x899FcB1437DE65DC6315f5a69C017dd3F2837557",` +
      `"to":"0x899FcB1437DE65DC6315f5a69C017dd3F2837557",` +
      `"value":"0","gasPrice":"0",` +
      `"data":"0x0d582f13000000000000000000000000d3ed2b8756b942c98c851722f3bd507a17b4745f0000000000000000000000000000000000000000000000000000000000000005",` +
      `"operation":0,` +
      `"gasToken":"0x0000000000000000000000000000000000000000",` +
      `"refundReceiver":"0x0000000000000000000000000000000000000000",` +
      `"baseGas":0,"safeTxGas":0,"nonce":0,` +
      `"safeTxHash":"0x6f0f5cffee69087c9d2471e477a63cab2ae171cf433e754315d558d8836274f4",` +
      `"chainId":"0x1"}`,
  );
  const plain = gnosisSafeTxResult(
    decodeGnosisSafeTx(load("gnosis_safe_tx.json")),
    sig,
    digest,
    signer,
  );
  strictEqual(plain.data, null);
  ok(!("chainId" in plain));
});

Deno.test("buildTypedDataRequest() shows a Safe transaction with Format", () => {
  const tx = decodeGnosisSafeTx(load("gnosis_safe_tx.json"));
  const addr = new MixedcaseAddress(new Uint8Array(20), "0x" + "00".repeat(20));
  const r = buildTypedDataRequest(addr, gnosisSafeTxToTypedData(tx), {
    callInfo: null,
  });
  strictEqual(r.contentType, "data/typed");
  strictEqual(to0xHex(r.hash), expected["gnosis_safe_tx.json"].safeTxHash);
  const fields = r.messages[1].value as { name: string; value: string }[];
  deepStrictEqual(
    fields.map((f) => `${f.name}=${f.value}`),
    [
      "to=0x9eE457023bB3De16D51A003a247BaEaD7fce313D",
      "value=20000000000000000 (0x470de4df820000)",
      "data=0x",
      "operation=0 (0x0)",
      "safeTxGas=27845 (0x6cc5)",
      "baseGas=0 (0x0)",
      "gasPrice=0 (0x0)",
      "gasToken=0x0000000000000000000000000000000000000000",
      "refundReceiver=0x0000000000000000000000000000000000000000",
      "nonce=3 (0x3)",
    ],
  );
});
