import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { parseJsonValue } from "./_test_json.ts";
import {
  cloneSendTxArgs,
  decodeSendTxArgs,
  sendTxArgsToJson,
} from "./send_tx_args.ts";

const d = (json: string) => decodeSendTxArgs(parseJsonValue(json));
const wire = (json: string) => JSON.stringify(sendTxArgsToJson(d(json)));
const A = "0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6";
const H = "0x" + "ab".repeat(32);

Deno.test("decodeSendTxArgs() matches keys like Go (case-insensitive, exact first)", () => {
  strictEqual(d(`{"GAS":"0x1"}`).gas, 1n);
  strictEqual(d(`{"Gas":"0x1","gas":"0x2"}`).gas, 2n);
  strictEqual(d(`{"gas":"0x2","GAS":"0x3"}`).gas, 3n); // later wins
  strictEqual(d(`{"maxfeepergas":"0x7"}`).maxFeePerGas, 7n);
  // Unicode simple folding: U+017F (long s) matches "s", U+212A (Kelvin) "k".
  strictEqual(d(`{"ga\u017f":"0x4"}`).gas, 4n);
  strictEqual(
    d(`{"accessList":[{"address":"${A}","storage\u212aeys":[]}]}`)
      .accessList?.length,
    1,
  );
  // unknown keys (type, v, r, s, yParity, hash) are ignored
  strictEqual(d(`{"type":5,"v":[],"r":{},"hash":null}`).gas, 0n);
});

Deno.test("decodeSendTxArgs() treats null like Go", () => {
  const a = d(
    `{"to":null,"gasPrice":null,"data":null,"accessList":null,"blobVersionedHashes":null,"blobVersion":null,"chainId":null}`,
  );
  strictEqual(a.to, undefined);
  strictEqual(a.gasPrice, undefined);
  strictEqual(a.data, undefined);
  strictEqual(a.accessList, undefined);
  strictEqual(a.blobVersionedHashes, undefined);
  strictEqual(a.chainId, undefined);
  const ctx = (f: string, t: string) =>
    `json: cannot unmarshal non-string into Go struct field SendTxArgs.${f} of type ${t}`;
  throws(() => d(`{"from":null}`), { message: ctx("from", "common.Address") });
  throws(() => d(`{"gas":null}`), { message: ctx("gas", "hexutil.Uint64") });
  throws(() => d(`{"nonce":null}`), {
    message: ctx("nonce", "hexutil.Uint64"),
  });
  throws(() => d(`{"value":null}`), { message: ctx("value", "*hexutil.Big") });
  // to: later null clears an earlier value
  strictEqual(d(`{"to":"${A}","To":null}`).to, undefined);
  // absent vs empty
  deepStrictEqual(d(`{"accessList":[]}`).accessList, []);
  deepStrictEqual(d(`{"blobVersionedHashes":[]}`).blobVersionedHashes, []);
  strictEqual(d(`null`).from.original, "");
});

Deno.test("decodeSendTxArgs() gives Go's error texts", () => {
  const cases: [string, string][] = [
    [
      `{"gas":"0x01"}`,
      "json: cannot unmarshal hex number with leading zero digits into Go struct field SendTxArgs.gas of type hexutil.Uint64",
    ],
    [
      `{"value":"1"}`,
      "json: cannot unmarshal hex string without 0x prefix into Go struct field SendTxArgs.value of type *hexutil.Big",
    ],
    [
      `{"to":"0x1234"}`,
      "hex string has length 4, want 40 for common.Address",
    ],
    [
      `{"data":"0x1"}`,
      "json: cannot unmarshal hex string of odd length into Go struct field SendTxArgs.data of type hexutil.Bytes",
    ],
    [
      `"x"`,
      "json: cannot unmarshal string into Go value of type apitypes.SendTxArgs",
    ],
    [
      `{"accessList":"x"}`,
      "json: cannot unmarshal string into Go struct field SendTxArgs.accessList of type types.AccessList",
    ],
    [
      `{"accessList":[1]}`,
      "json: cannot unmarshal number into Go struct field SendTxArgs.accessList of type types.AccessTuple",
    ],
    [
      `{"accessList":[{"storageKeys":[]}]}`,
      "missing required field 'address' for AccessTuple",
    ],
    [
      `{"accessList":[{"address":"${A}"}]}`,
      "missing required field 'storageKeys' for AccessTuple",
    ],
    [
      `{"accessList":[{"address":"${A}","storageKeys":[null]}]}`,
      "json: cannot unmarshal non-string into Go struct field SendTxArgs.accessList of type common.Hash",
    ],
    [
      `{"accessList":[{"address":"${A}","storageKeys":"x"}]}`,
      "json: cannot unmarshal string into Go struct field SendTxArgs.accessList of type []common.Hash",
    ],
    [
      `{"blobVersionedHashes":["0x00"]}`,
      "hex string has length 2, want 64 for common.Hash",
    ],
    [
      `{"blobVersion":256}`,
      "json: cannot unmarshal number 256 into Go struct field SendTxArgs.blobVersion of type uint8",
    ],
    [
      `{"blobVersion":1.5}`,
      "json: cannot unmarshal number 1.5 into Go struct field SendTxArgs.blobVersion of type uint8",
    ],
    [
      `{"blobVersion":"1"}`,
      "json: cannot unmarshal string into Go struct field SendTxArgs.blobVersion of type uint8",
    ],
    [
      `{"commitments":["0x00"]}`,
      "hex string has length 2, want 96 for kzg4844.Commitment",
    ],
    [
      `{"authorizationList":[{"chainId":"0x1","address":"${A}","nonce":"0x0","yParity":"0x0","r":"0x1"}]}`,
      "missing required field 's' for SetCodeAuthorization",
    ],
  ];
  for (const [json, msg] of cases) {
    throws(() => d(json), { message: msg }, json);
  }
  // A saved type error is reported at the end unless a hexutil error
  // comes first.
  throws(() => d(`{"accessList":"x","gas":"0x01"}`), {
    message:
      "json: cannot unmarshal hex number with leading zero digits into Go struct field SendTxArgs.gas of type hexutil.Uint64",
  });
  throws(() => d(`{"accessList":"x","gas":"0x1"}`), /accessList/);
});

Deno.test("sendTxArgsToJson() writes clef's field order and omissions", () => {
  strictEqual(
    wire(`{"from":"${A.toLowerCase()}","to":null,"gas":"0x1"}`),
    `{"from":"${A.toLowerCase()}","to":null,"gas":"0x1","gasPrice":null,"maxFeePerGas":null,"maxPriorityFeePerGas":null,"value":"0x0","nonce":"0x0"}`,
  );
  strictEqual(
    wire(
      `{"proofs":[],"blobVersion":1,"blobVersionedHashes":[],"maxFeePerBlobGas":"0x0","chainId":"0x0","accessList":[{"address":"${A}","storageKeys":["${H}"]}],"input":"0x","data":"0x","nonce":"0x2","value":"0x3","maxPriorityFeePerGas":"0x4","maxFeePerGas":"0x5","gasPrice":"0x6","gas":"0x7","to":"0X${
        A.slice(2)
      }","from":"${A}"}`,
    ),
    `{"from":"${A}","to":"${A}","gas":"0x7","gasPrice":"0x6","maxFeePerGas":"0x5","maxPriorityFeePerGas":"0x4","value":"0x3","nonce":"0x2","data":"0x","input":"0x","accessList":[{"address":"${A.toLowerCase()}","storageKeys":["${H}"]}],"chainId":"0x0","maxFeePerBlobGas":"0x0","blobVersion":1}`,
  );
  strictEqual(
    wire(
      `{"blobVersionedHashes":["${H}"],"authorizationList":[{"chainId":"0x1","address":"${A}","nonce":"0x2","yParity":"0x1","r":"0x3","s":"0x4"}]}`,
    ).slice(-230),
    `"value":"0x0","nonce":"0x0","blobVersionedHashes":["${H}"],"authorizationList":[{"chainId":"0x1","address":"${A.toLowerCase()}","nonce":"0x2","yParity":"0x1","r":"0x3","s":"0x4"}]}`
      .slice(-230),
  );
  strictEqual(
    wire(`{"authorizationList":[]}`).endsWith(`"authorizationList":[]}`),
    true,
  );
});

Deno.test("sendTxArgsToJson() round-trips through decodeSendTxArgs()", () => {
  const json =
    `{"from":"${A}","to":"${A}","gas":"0x7","maxFeePerGas":"0x5","maxPriorityFeePerGas":"0x4","value":"0x3","nonce":"0x2","data":"0x0102","accessList":[],"chainId":"0x1"}`;
  const a = d(json);
  const b = d(JSON.stringify(sendTxArgsToJson(a)));
  deepStrictEqual(sendTxArgsToJson(b), sendTxArgsToJson(a));
  const c = cloneSendTxArgs(a);
  c.data![0] = 9;
  strictEqual(a.data![0], 1);
});

Deno.test("decodeSendTxArgs() caps list lengths", () => {
  const blob = `"0x${"00".repeat(131072)}"`;
  throws(() => d(`{"blobs":[${Array(65).fill(blob).join(",")}]}`), {
    message: "too many blobs entries (65 > 64)",
  });
  throws(
    () =>
      d(`{"blobVersionedHashes":[${Array(8193).fill(`"${H}"`).join(",")}]}`),
    {
      message: "too many blobVersionedHashes entries (8193 > 8192)",
    },
  );
});
