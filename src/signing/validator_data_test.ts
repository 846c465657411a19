import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { to0xHex } from "../_bytes.ts";
import { type JsonValue, parseJson } from "../json.ts";
import {
  buildValidatorRequest,
  decodeValidatorData,
} from "./validator_data.ts";

Deno.test("buildValidatorRequest() builds clef's four messages", () => {
  const d = decodeValidatorData(parseJson(
    `{"address":"0x9160dc9105f7de5dc5e7f3d97ef11da47269bda6","message":"0x0102"}`,
  ));
  const r = buildValidatorRequest(d);
  const raw = "0x1900" + "9160dc9105f7de5dc5e7f3d97ef11da47269bda6" + "0102";
  strictEqual(to0xHex(r.rawData), raw);
  deepStrictEqual(r.hash, keccak_256(r.rawData));
  strictEqual(
    JSON.stringify(r.messages),
    JSON.stringify([
      {
        name:
          "This is a request to sign data intended for a particular validator (see EIP 191 version 0)",
        value: "",
        type: "description",
      },
      {
        name: "Intended validator address",
        value: "0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6",
        type: "address",
      },
      { name: "Application-specific data", value: "0x0102", type: "hexdata" },
      { name: "Full message for signing", value: raw, type: "hexdata" },
    ]),
  );
});

Deno.test("decodeValidatorData() pads or truncates the address like BytesToAddress", () => {
  const short = decodeValidatorData(
    parseJson(`{"address":"0x01","message":"0x02"}`),
  );
  strictEqual(to0xHex(short.address), "0x" + "00".repeat(19) + "01");
  const long = decodeValidatorData(parseJson(
    `{"address":"0xff${"00".repeat(19)}07","message":"0x02"}`,
  ));
  strictEqual(to0xHex(long.address), "0x" + "00".repeat(19) + "07");
});

Deno.test("decodeValidatorData() fails with clef's texts", () => {
  const cases: [string, string][] = [
    [`"x"`, "validator input is not a map[string]interface{}"],
    [`[]`, "validator input is not a map[string]interface{}"],
    [`null`, "validator input is not a map[string]interface{}"],
    [`{"message":"0x01"}`, "validator address error: wrong type <nil>"],
    [
      `{"address":1,"message":"0x01"}`,
      "validator address error: wrong type float64",
    ],
    [
      `{"address":"01","message":"0x01"}`,
      "validator address error: hex string without 0x prefix",
    ],
    [`{"address":"0x","message":"0x01"}`, "validator address is undefined"],
    [`{"address":"0x01"}`, "message error: wrong type <nil>"],
    [
      `{"address":"0x01","message":"0x1"}`,
      "message error: hex string of odd length",
    ],
    [
      `{"address":"0x01","message":{}}`,
      "message error: wrong type map[string]interface {}",
    ],
    [`{"address":"0x01","message":"0x"}`, "message is undefined"],
    [
      `{"Address":"0x01","message":"0x02"}`,
      "validator address error: wrong type <nil>",
    ],
  ];
  for (const [json, msg] of cases) {
    throws(() => decodeValidatorData(parseJson(json) as JsonValue), {
      message: msg,
    }, json);
  }
});
