import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { Transaction } from "ethers";
import { MixedcaseAddress } from "../address.ts";
import { fromHex } from "../_bytes.ts";
import { parseJsonValue } from "./_test_json.ts";
import { SelectorPanicError } from "./abi_decode.ts";
import { FourByteDb } from "./fourbyte.ts";
import { decodeHexBytes } from "./hexutil.ts";
import {
  decodeSendTxArgs,
  emptySendTxArgs,
  type SendTxArgs,
  sendTxArgsToJson,
} from "./send_tx_args.ts";
import { buildTransaction, signTransaction } from "./tx.ts";
import { signTransactionResult } from "./tx_json.ts";
import {
  TxValidationError,
  validateTransaction,
  validationFailure,
} from "./validate.ts";

const emptyDb = () => new FourByteDb({ embedded: [] });

function mixAddr(a: string): MixedcaseAddress {
  return new MixedcaseAddress(fromHex(a), a);
}

// go-ethereum signer/fourbyte/validation_test.go TestTransactionValidation.
Deno.test("validateTransaction() passes go-ethereum's validation cases", () => {
  type Case = {
    to: string;
    value: string;
    d?: string;
    i?: string;
    err?: boolean;
    n?: number;
  };
  const DEAD = "0x000000000000000000000000000000000000dEaD";
  const cases: Case[] = [
    { to: "000000000000000000000000000000000000dead", value: "0x01", n: 1 },
    { to: DEAD, value: "0x01", n: 0 },
    { to: DEAD, value: "0x01", d: "0x01", i: "0x02", err: true },
    { to: DEAD, value: "0x01", d: "0x0102", n: 1 },
    { to: DEAD, value: "0x01", i: "0x0102", n: 1 },
    { to: "0x0000000000000000000000000000000000000000", value: "0x01", n: 1 },
    { to: "", value: "0x00", n: 1 },
    { to: "", value: "0x01", err: true },
    { to: "", value: "0x01", d: "0x01", n: 1 },
  ];
  cases.forEach((c, idx) => {
    const args: SendTxArgs = {
      ...emptySendTxArgs(),
      from: mixAddr("000000000000000000000000000000000000dead"),
      to: c.to === "" ? undefined : mixAddr(c.to),
      nonce: 1n,
      gas: 0x20n,
      gasPrice: 0x40n,
      value: BigInt(c.value),
      data: c.d ? decodeHexBytes(c.d) : undefined,
      input: c.i ? decodeHexBytes(c.i) : undefined,
    };
    if (c.err) {
      throws(
        () => validateTransaction(args, undefined, emptyDb()),
        TxValidationError,
        `case ${idx}`,
      );
    } else {
      const r = validateTransaction(args, undefined, emptyDb());
      strictEqual(r.messages.length, c.n, `case ${idx}`);
    }
  });
});

Deno.test("validateTransaction() gives clef's exact texts", () => {
  const TO = "0x000000000000000000000000000000000000dEaD";
  const v = (json: string, selector?: string, db = emptyDb()) =>
    validateTransaction(decodeSendTxArgs(parseJsonValue(json)), selector, db);
  throws(() => v(`{"data":"0x01","input":"0x02"}`), {
    message:
      'ambiguous request: both "data" and "input" are set and are not identical',
  });
  throws(() => v(`{"value":"0x1"}`), {
    message: "transaction will create a contract with value but empty code",
  });
  deepStrictEqual(v(`{"data":"0x01"}`, "f()").messages, [
    {
      type: "WARNING",
      message:
        "Transaction will create a contract, but the payload is suspiciously small (1 bytes)",
    },
    {
      type: "WARNING",
      message:
        "Transaction will create a contract, but method selector supplied, indicating an intent to call a method",
    },
  ]);
  deepStrictEqual(v(`{"to":"${TO}","data":"0x${"00".repeat(40)}"}`).messages, [
    {
      type: "CRITICAL",
      message: "Neither 'gasPrice' nor 'maxFeePerGas' specified.",
    },
    {
      type: "WARNING",
      message:
        "Transaction data is not valid ABI (length should be a multiple of 32 (was 36))",
    },
    {
      type: "WARNING",
      message:
        "Transaction contains data, but the ABI signature could not be found: signature 00000000 not found",
    },
  ]);
  const fees: [string, string][] = [
    [
      `"maxFeePerGas":"0x1"`,
      "Neither 'gasPrice' nor 'maxPriorityFeePerGas' specified.",
    ],
    [
      `"gasPrice":"0x1","maxFeePerGas":"0x1","maxPriorityFeePerGas":"0x1"`,
      "Both 'gasPrice' and 'maxFeePerGas' specified.",
    ],
    [
      `"gasPrice":"0x1","maxPriorityFeePerGas":"0x1"`,
      "Both 'gasPrice' and 'maxPriorityFeePerGas' specified.",
    ],
  ];
  for (const [f, msg] of fees) {
    deepStrictEqual(v(`{"to":"${TO}",${f}}`).messages, [
      { type: "CRITICAL", message: msg },
    ]);
  }
  deepStrictEqual(
    v(`{"to":"${TO}","gasPrice":"0x1","data":"0x010203"}`).messages,
    [
      {
        type: "WARNING",
        message:
          "Transaction data is not valid ABI (missing the 4 byte call prefix)",
      },
    ],
  );
  // input moves into data
  const r = v(`{"to":"${TO}","gasPrice":"0x1","input":"0x"}`);
  strictEqual(r.args.input, undefined);
  deepStrictEqual(r.args.data, new Uint8Array());
  strictEqual(
    JSON.stringify(sendTxArgsToJson(r.args)).includes('"data":"0x"'),
    true,
  );
  strictEqual(validationFailure(r.messages), undefined);
});

Deno.test("validateTransaction() verifies selectors and grows the custom db", () => {
  const TO = "0x000000000000000000000000000000000000dEaD";
  const written: string[] = [];
  const db = new FourByteDb({
    embedded: [],
    onCustomChange: (d) => written.push(d.customJson()),
  });
  const data = "0xa52c101e" + "00".repeat(31) + "12";
  const json = `{"to":"${TO}","gasPrice":"0x1","data":"${data}"}`;
  const args = () => decodeSendTxArgs(parseJsonValue(json));
  deepStrictEqual(validateTransaction(args(), "send(uint256)", db).messages, [
    {
      type: "Info",
      message: 'Transaction invokes the following method: "send(uint256: 18)"',
    },
  ]);
  deepStrictEqual(written, ['{"a52c101e":"send(uint256)"}']);
  // Now found in the custom db without a selector.
  deepStrictEqual(validateTransaction(args(), undefined, db).messages, [
    {
      type: "Info",
      message: 'Transaction invokes the following method: "send(uint256: 18)"',
    },
  ]);
  // A wrong selector is a warning and is not stored.
  const m = validateTransaction(args(), "send(uint128)", db).messages;
  strictEqual(m[0].type, "WARNING");
  strictEqual(
    m[0].message,
    "Transaction contains data, but provided ABI signature could not be matched: no method with id: 0xa52c101e",
  );
  strictEqual(written.length, 1);
  // A stored wrong entry fails verification.
  const db2 = new FourByteDb({
    embedded: [],
    custom: [["a52c101e", "send(bool)"]],
  });
  strictEqual(
    validateTransaction(args(), undefined, db2).messages[0].message,
    "Transaction contains data, but provided ABI signature could not be verified: no method with id: 0xa52c101e",
  );
  // A selector without parameter list crashes clef's handler.
  throws(
    () => validateTransaction(args(), "send", db),
    (e: Error) =>
      e instanceof SelectorPanicError && e.message === "method handler crashed",
  );
});

Deno.test("validateTransaction() completes blob sidecars and checks recipients", () => {
  throws(
    () =>
      validateTransaction(
        decodeSendTxArgs(parseJsonValue(`{"blobVersionedHashes":[]}`)),
        undefined,
        emptyDb(),
      ),
    { message: "transaction recipient must be set for blob transactions" },
  );
});

// go-ethereum cmd/clef/testdata: expected outcome per request file.
const CLEF_TX: Record<string, string | undefined> = {
  "sign_normal_exp_ok.json": undefined,
  "sign_1559_tx.json": undefined,
  "sign_bad_checksum_exp_fail.json":
    "validation failed: Invalid checksum on recipient address",
  "sign_1559_missing_field_exp_fail.json":
    "validation failed: Neither 'gasPrice' nor 'maxPriorityFeePerGas' specified.",
  "sign_1559_missing_maxfeepergas_exp_fail.json":
    "validation failed: Neither 'gasPrice' nor 'maxFeePerGas' specified.",
};

const clefDir = new URL("../../testdata/clef_tx/", import.meta.url);
for (const { name } of Deno.readDirSync(clefDir)) {
  if (!name.endsWith(".json")) continue;
  Deno.test(`validateTransaction() ${name}`, () => {
    ok(name in CLEF_TX, `no expectation for ${name}`);
    const req = parseJsonValue(Deno.readTextFileSync(new URL(name, clefDir)));
    const params = (req as { params: unknown[] }).params;
    const args = decodeSendTxArgs(params[0] as never);
    const { messages, args: normalised } = validateTransaction(
      args,
      undefined,
      new FourByteDb(),
    );
    const failure = validationFailure(messages);
    strictEqual(failure, CLEF_TX[name]);
    strictEqual(name.includes("_exp_fail"), failure !== undefined);
    if (failure === undefined) {
      deepStrictEqual(messages, [{
        type: "Info",
        message:
          'Transaction invokes the following method: "safeSend(address: 0x0000000000000000000000000000000000000012)"',
      }]);
      const key = new Uint8Array(32).fill(7);
      const res = signTransactionResult(
        signTransaction(buildTransaction(normalised), 1n, key),
      );
      const t = Transaction.from(res.raw);
      strictEqual(t.to, "0x8A8eAFb1cf62BfBeb1741769DAE1a9dd47996192");
      strictEqual(t.value, 16n);
      strictEqual(t.gasLimit, 0x333n);
      strictEqual(t.type, name.includes("1559") ? 2 : 0);
      strictEqual(t.data, "0x4401a6e4" + "00".repeat(31) + "12");
      strictEqual(t.hash, res.tx.hash);
    }
  });
}
